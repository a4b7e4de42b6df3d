/**
 * Which media URIs Gemini reads itself. It reads inline base64 of any MIME type, but `fileData`
 * only for Files-API uploads, YouTube and gs:// objects — it does not fetch arbitrary web URLs
 * (§2.3), so those must have been downloaded into `data` beforehand.
 */

const FILES_API = /^https:\/\/generativelanguage\.googleapis\.com\/[^/]+\/files\/[^/?#]+/;
const BARE_FILE = /^files\/[A-Za-z0-9_-]+$/;
const YOUTUBE = /^https?:\/\/(www\.|m\.)?(youtube\.com\/(watch|shorts|live|embed)|youtu\.be\/)/;
const GCS = /^gs:\/\/[^/]+\/.+/;

export const isGeminiFileUri = (uri: string) => FILES_API.test(uri) || BARE_FILE.test(uri);
/** URIs Gemini itself can read through `fileData`. */
export const isFetchableByGemini = (uri: string) =>
  isGeminiFileUri(uri) || YOUTUBE.test(uri) || GCS.test(uri);

/** A Files-API file as a `fileUri`: a bare `files/abc` name becomes its full URL. */
export const fileUriOf = (fileId: string) =>
  BARE_FILE.test(fileId) ? `https://generativelanguage.googleapis.com/v1beta/${fileId}` : fileId;
