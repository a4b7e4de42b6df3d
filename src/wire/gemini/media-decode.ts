import type { FilePart, ImagePart } from "../../ir";
import { bad, type Json } from "../read";
import { isFetchableByGemini } from "./media";
import { optObject, optString } from "./proto-json";

/**
 * `inlineData` / `fileData` of a request part → IR media. Files-API, YouTube and gs:// URIs
 * only mean something to Google, so they stay provider file ids; other URLs stay fetchable.
 */
export function decodeMedia(p: Json, path: string): ImagePart | FilePart | undefined {
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
