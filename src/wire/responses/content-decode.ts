import type { FilePart, ImagePart, TextPart, UserPart } from "../../ir/content";
import type { Warnings } from "../../ir/warning";
import { own } from "../lookup";
import { decodeDataUrl, imageFromUrl, sniffMime } from "../openai/media";
import { asObject, at, bad, fields, type Json } from "../read";

const { optString, reqString } = fields;

/** Content parts of Responses input (`input_text`, `input_image`, `input_file` …) → IR parts. */

export type ContentPart = Exclude<UserPart, { type: "tool_result" }>;

/**
 * A message's or a tool output's content: a string, or a list of parts. Parts of a type the IR
 * cannot hold are dropped with a warning (a 400 would end a whole agent turn over one part).
 */
export function decodeContent(content: unknown, path: string, warnings: Warnings): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) return bad(path, "expected a string or an array of content parts");
  const parts: ContentPart[] = [];
  content.forEach((item, j) => {
    const part = decodePart(asObject(item, at(path, j)), at(path, j), warnings);
    if (part) parts.push(part);
  });
  return parts;
}

function decodePart(p: Json, path: string, warnings: Warnings): ContentPart | undefined {
  const type = reqString(p, "type", path);
  switch (type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: reqString(p, "text", path) };
    case "refusal":
      return { type: "text", text: reqString(p, "refusal", path) };
    case "input_image":
      return decodeImage(p, path);
    case "input_file":
      return decodeFile(p, path);
    default:
      warnings.once(
        "dropped",
        `input[].content[].type=${type}`,
        "a content part the upstream's format cannot carry",
      );
      return undefined;
  }
}

function decodeImage(p: Json, path: string): ImagePart {
  const url = optString(p, "image_url", path);
  const fileId = optString(p, "file_id", path);
  let image: ImagePart;
  if (url !== undefined) {
    image = imageFromUrl(url);
  } else if (fileId !== undefined) image = { type: "image", fileId };
  else return bad(path, "expected image_url or file_id");
  // "auto" is the default everywhere: the same as saying nothing.
  const detail = optString(p, "detail", path);
  if (detail !== undefined && detail !== "auto") image.detail = detail;
  return image;
}

/** MIME types by file extension, for inline files that came without a data URL's type. */
const MIME_BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
  html: "text/html",
};

function decodeFile(p: Json, path: string): FilePart {
  const file: FilePart = { type: "file" };
  const name = optString(p, "filename", path);
  if (name !== undefined) file.name = name;
  const data = optString(p, "file_data", path);
  const fileId = optString(p, "file_id", path);
  const url = optString(p, "file_url", path);
  if (data !== undefined) {
    // A data URL, or (as the SDK's types also allow) bare base64.
    const inline = decodeDataUrl(data) ?? { data };
    const extension = name?.split(".").pop()?.toLowerCase();
    file.mime =
      inline.mime ??
      own(MIME_BY_EXTENSION, extension) ??
      sniffMime(inline.data) ??
      "application/pdf";
    file.data = inline.data;
  } else if (fileId !== undefined) file.fileId = fileId;
  else if (url !== undefined) file.url = url;
  else bad(path, "expected file_data, file_id or file_url");
  return file;
}

/** The text of a system or developer message; media has no place in the IR's system prompt. */
export function systemText(content: unknown, path: string, warnings: Warnings): TextPart[] {
  const parts = decodeContent(content, path, warnings);
  const texts = parts.filter((p): p is TextPart => p.type === "text");
  if (texts.length < parts.length)
    warnings.once(
      "dropped",
      "input[].content (media in a system message)",
      "images and files in system or developer messages cannot be converted",
    );
  return texts;
}
