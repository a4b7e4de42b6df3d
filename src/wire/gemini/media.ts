import { routerError, type FilePart, type ImagePart, type RouterError } from "../../ir";
import { bad, type Json } from "../read";
import { optObject, optString } from "./proto-json";

/**
 * Images, documents and audio between IR and Gemini parts. Gemini reads inline base64 of any
 * MIME type, but `fileData` only for Files-API uploads, YouTube and gs:// objects — it does not
 * fetch arbitrary web URLs (§2.3), so those must have been downloaded into `data` beforehand.
 */

const FILES_API = /^https:\/\/generativelanguage\.googleapis\.com\/[^/]+\/files\/[^/?#]+/;
const BARE_FILE = /^files\/[A-Za-z0-9_-]+$/;
const YOUTUBE = /^https?:\/\/(www\.|m\.)?(youtube\.com\/(watch|shorts|live|embed)|youtu\.be\/)/;
const GCS = /^gs:\/\/[^/]+\/.+/;
const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

export const isGeminiFileUri = (uri: string) => FILES_API.test(uri) || BARE_FILE.test(uri);
/** URIs Gemini itself can read through `fileData`. */
export const isFetchableByGemini = (uri: string) =>
  isGeminiFileUri(uri) || YOUTUBE.test(uri) || GCS.test(uri);

/** Magic numbers of the formats clients commonly send without a MIME type. */
export function sniffMime(data: string): string | undefined {
  const head = Buffer.from(data.slice(0, 24), "base64");
  const ascii = head.toString("latin1");
  if (head[0] === 0x89 && ascii.slice(1, 4) === "PNG") return "image/png";
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (ascii.startsWith("GIF8")) return "image/gif";
  if (ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WEBP") return "image/webp";
  if (ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WAVE") return "audio/wav";
  if (ascii.startsWith("%PDF")) return "application/pdf";
  if (ascii.startsWith("ID3") || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0))
    return "audio/mp3";
  return undefined;
}

/** IR media → an `inlineData` or `fileData` part; `where` names the IR position in errors. */
export function mediaToGemini(part: ImagePart | FilePart, where: string): Json | RouterError {
  const inline = (data: string, mime: string | undefined) => {
    const mimeType = mime ?? sniffMime(data);
    if (!mimeType)
      return routerError(
        "invalid_request",
        `${where}: the media type of the inline data is unknown`,
      );
    return { inlineData: { mimeType, data } };
  };
  if (part.data) return inline(part.data, part.mime);
  if (part.url) {
    const m = DATA_URL.exec(part.url);
    if (m) return inline(m[2]!, part.mime ?? m[1]);
    if (isFetchableByGemini(part.url))
      return {
        fileData: part.mime ? { mimeType: part.mime, fileUri: part.url } : { fileUri: part.url },
      };
    return routerError(
      "invalid_request",
      `${where}: Gemini cannot fetch ${part.url.slice(0, 100)}; the content must be inlined (URL download is disabled)`,
    );
  }
  if (part.fileId) {
    if (!isGeminiFileUri(part.fileId))
      return routerError(
        "invalid_request",
        `${where}: file id ${part.fileId.slice(0, 100)} belongs to another provider and cannot be sent to Gemini`,
      );
    const fileUri = BARE_FILE.test(part.fileId)
      ? `https://generativelanguage.googleapis.com/v1beta/${part.fileId}`
      : part.fileId;
    return { fileData: part.mime ? { mimeType: part.mime, fileUri } : { fileUri } };
  }
  return routerError("invalid_request", `${where}: media without data, url or file id`);
}

/**
 * `inlineData` / `fileData` of a request part → IR media. Files-API, YouTube and gs:// URIs
 * only mean something to Google, so they stay provider file ids; other URLs stay fetchable.
 */
export function mediaFromGemini(p: Json, path: string): ImagePart | FilePart | undefined {
  const inline = optObject(p, "inlineData", path);
  if (inline) {
    const where = `${path}.inlineData`;
    const data = optString(inline, "data", where);
    if (data === undefined) bad(`${where}.data`, "field required");
    const mime = optString(inline, "mimeType", where);
    return mime?.startsWith("image/")
      ? { type: "image", mime, data }
      : { type: "file", ...(mime ? { mime } : {}), data, ...nameOf(inline, where) };
  }
  const file = optObject(p, "fileData", path);
  if (file) {
    const where = `${path}.fileData`;
    const uri = optString(file, "fileUri", where);
    if (uri === undefined) bad(`${where}.fileUri`, "field required");
    const mime = optString(file, "mimeType", where);
    const source = isFetchableByGemini(uri) ? { fileId: uri } : { url: uri };
    return mime?.startsWith("image/")
      ? { type: "image", mime, ...source }
      : { type: "file", ...(mime ? { mime } : {}), ...source, ...nameOf(file, where) };
  }
  return undefined;
}

function nameOf(o: Json, path: string): { name?: string } {
  const name = optString(o, "displayName", path);
  return name ? { name } : {};
}
