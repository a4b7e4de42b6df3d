/**
 * Reads an upstream body whole, but never more than `maxBytes` of it, counted after
 * decompression (fetch inflates gzip and brotli on the way in, so a 500 KB body can expand to
 * gigabytes). Past the cap the body is cancelled, which closes the upstream connection.
 */

/** The body, `"too_large"` once it passed the cap, or `undefined` when the connection broke. */
export type CappedRead = Uint8Array | "too_large" | undefined;

export async function readCapped(res: Response, maxBytes: number): Promise<CappedRead> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  // A declared length only says something for a body that is not inflated on the way in.
  if (declared > maxBytes && !res.headers.has("content-encoding")) {
    void res.body?.cancel().catch(() => {});
    return "too_large";
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      size += r.value.length;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return "too_large";
      }
      chunks.push(r.value);
    }
  } catch {
    return undefined;
  }
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, size);
}

/** The text of a capped read, for error bodies: what arrived within the cap, else nothing. */
export async function readCappedText(res: Response, maxBytes: number): Promise<string | "too_large" | undefined> {
  const bytes = await readCapped(res, maxBytes);
  return bytes instanceof Uint8Array ? utf8.decode(bytes) : bytes;
}

const utf8 = new TextDecoder();
