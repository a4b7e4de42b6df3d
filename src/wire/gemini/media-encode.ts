import { routerError, type FilePart, type ImagePart, type RouterError } from "../../ir";
import type * as Gemini from "./api";
import { fileUriOf, isFetchableByGemini, isGeminiFileUri } from "./media";

/** IR images, documents and audio → Gemini `inlineData` / `fileData` parts. */

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/** Magic numbers of the formats clients commonly send without a MIME type. */
function sniffMime(data: string): string | undefined {
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
export function encodeMedia(part: ImagePart | FilePart, where: string): Gemini.Part | RouterError {
  const inline = (data: string, mime: string | undefined): Gemini.Part | RouterError => {
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
    const fileUri = fileUriOf(part.fileId);
    return { fileData: part.mime ? { mimeType: part.mime, fileUri } : { fileUri } };
  }
  return routerError("invalid_request", `${where}: media without data, url or file id`);
}
