import type { ImagePart } from "../../ir";
import { own } from "../lookup";
/** Data URLs and MIME types: OpenAI carries inline media as data URLs, the IR as base64 + MIME. */

export interface Inline {
  mime?: string;
  data: string;
}

/** `data:[mime][;params][;base64],payload`; a non-base64 payload is percent-decoded and re-encoded. */
export function decodeDataUrl(url: string): Inline | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const meta = url.slice(5, comma).split(";");
  const payload = url.slice(comma + 1);
  const base64 = meta.slice(1).some((m) => m.trim().toLowerCase() === "base64");
  let data: string;
  try {
    data = base64 ? payload : Buffer.from(decodeURIComponent(payload), "utf8").toString("base64");
  } catch {
    return undefined;
  }
  const mime = meta[0]?.trim().toLowerCase();
  return mime ? { mime, data } : { data };
}

/** An image given by URL, as OpenAI's APIs take it: a `data:` URL becomes inline data. */
export function imageFromUrl(url: string): ImagePart {
  const inline = decodeDataUrl(url);
  if (!inline) return { type: "image", url };
  return {
    type: "image",
    mime: inline.mime ?? sniffMime(inline.data) ?? "image/png",
    data: inline.data,
  };
}

export const encodeDataUrl = (mime: string, data: string) => `data:${mime};base64,${data}`;

/** Clients sometimes send a data URL without its MIME type; the first bytes usually tell. */
export function sniffMime(base64: string): string | undefined {
  const b = Buffer.from(base64.slice(0, 24), "base64");
  const head = b.toString("latin1");
  if (head.startsWith("\x89PNG")) return "image/png";
  if (b[0] === 0xff && b[1] === 0xd8) return "image/jpeg";
  if (head.startsWith("GIF8")) return "image/gif";
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WEBP") return "image/webp";
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WAVE") return "audio/wav";
  if (head.startsWith("%PDF")) return "application/pdf";
  if (head.startsWith("ID3") || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0))
    return "audio/mpeg";
  return undefined;
}

/** OpenAI's `input_audio.format` names only a few containers; the IR keeps a real MIME type. */
export function decodeAudioFormat(format: string): string {
  if (format === "wav") return "audio/wav";
  if (format === "mp3") return "audio/mpeg";
  return `audio/${format}`;
}

export function encodeAudioFormat(mime: string): "wav" | "mp3" | undefined {
  if (["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"].includes(mime)) return "wav";
  if (["audio/mpeg", "audio/mp3", "audio/mpeg3"].includes(mime)) return "mp3";
  return undefined;
}

const EXT: Record<string, string> = {
  "application/pdf": "pdf",
  "text/plain": "txt",
  "text/csv": "csv",
  "application/json": "json",
};

/** OpenAI wants a filename beside `file_data`; invent one with the right extension when none came. */
export const defaultFilename = (mime: string) =>
  `document.${own(EXT, mime) ?? mime.split("/")[1]?.replace(/[^a-z0-9]/gi, "") ?? "bin"}`;
