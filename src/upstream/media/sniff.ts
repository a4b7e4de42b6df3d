/**
 * What a downloaded body must be to reach a model: an image, a PDF or audio the codecs carry
 * (wav, mp3), by its declared Content-Type and by its first bytes. Without the byte check an
 * internal JSON or HTML page, declared as `image/png`, would reach the model as readable text.
 */

/** The media types a download may declare; each maps to the family its bytes must sniff as. */
const DECLARED = new Map<string, string>([
  ["image/png", "image"],
  ["image/jpeg", "image"],
  ["image/jpg", "image"],
  ["image/pjpeg", "image"],
  ["image/gif", "image"],
  ["image/webp", "image"],
  ["image/heic", "image"],
  ["image/heif", "image"],
  ["image/avif", "image"],
  ["application/pdf", "document"],
  ["audio/wav", "audio"],
  ["audio/x-wav", "audio"],
  ["audio/wave", "audio"],
  ["audio/vnd.wave", "audio"],
  ["audio/mpeg", "audio"],
  ["audio/mp3", "audio"],
  ["audio/mpeg3", "audio"],
]);

/**
 * Object stores often serve everything as octet-stream, and some servers send no type: then the
 * bytes alone decide.
 */
const GENERIC = new Set(["application/octet-stream", "binary/octet-stream", ""]);

/** Bytes enough for every signature below. */
export const SNIFF_BYTES = 16;

/** Whether a Content-Type header value may name a media download (its bytes are checked later). */
export function acceptableType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return GENERIC.has(type) || DECLARED.has(type);
}

/**
 * The media type the first bytes show, when it is one a download may bring in and fits what was
 * declared (a PNG served as image/jpeg passes, an HTML page served as image/png does not).
 */
export function sniffMedia(head: Uint8Array, contentType: string | null): string | undefined {
  const found = sniff(head);
  if (found === undefined) return undefined;
  const declared = DECLARED.get(mediaType(contentType));
  return declared === undefined || declared === found.family ? found.type : undefined;
}

function sniff(b: Uint8Array): { type: string; family: string } | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0x89 && ascii(1, 8) === "PNG\r\n\x1a\n")
    return { type: "image/png", family: "image" };
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff)
    return { type: "image/jpeg", family: "image" };
  if (ascii(0, 6) === "GIF87a" || ascii(0, 6) === "GIF89a")
    return { type: "image/gif", family: "image" };
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP")
    return { type: "image/webp", family: "image" };
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE")
    return { type: "audio/wav", family: "audio" };
  if (ascii(0, 5) === "%PDF-") return { type: "application/pdf", family: "document" };
  if (ascii(4, 8) === "ftyp") {
    const brand = ascii(8, 12);
    if (brand === "avif" || brand === "avis") return { type: "image/avif", family: "image" };
    if (["heic", "heix", "hevc", "hevx", "heim", "heis"].includes(brand))
      return { type: "image/heic", family: "image" };
    if (brand === "mif1" || brand === "msf1") return { type: "image/heif", family: "image" };
    return undefined;
  }
  // An ID3 tag, or an MPEG audio frame header: 11 sync bits, then a layer that is not "reserved".
  if (ascii(0, 3) === "ID3") return { type: "audio/mpeg", family: "audio" };
  if (b[0] === 0xff && b.length > 1 && (b[1]! & 0xe0) === 0xe0 && (b[1]! & 0x06) !== 0)
    return { type: "audio/mpeg", family: "audio" };
  return undefined;
}

function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}
