/**
 * Reads an upstream body whole, but never more than `maxBytes` of it, counted after
 * decompression (fetch inflates gzip and brotli on the way in, so a 500 KB body can expand to
 * gigabytes). Past the cap the body is cancelled, which closes the upstream connection.
 */

import type { ModelConfig } from "../config/types";
import { routerError, type RouterError } from "../ir";

/** The body, `"too_large"` once it passed the cap, or `undefined` when the connection broke. */
export type CappedRead = Uint8Array | "too_large" | undefined;

export async function readCapped(res: Response, maxBytes: number): Promise<CappedRead> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  // A declared length only says something for a body that is not inflated on the way in.
  if (!res.headers.has("content-encoding")) {
    if (declared > maxBytes) {
      void res.body?.cancel().catch(() => {});
      return "too_large";
    }
    // HTTP framing stops such a body at its declared length: one native read, no chunk loop.
    if (declared >= 0) return res.bytes().catch(() => undefined);
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
export async function readCappedText(
  res: Response,
  maxBytes: number,
): Promise<string | "too_large" | undefined> {
  const bytes = await readCapped(res, maxBytes);
  return bytes instanceof Uint8Array ? utf8.decode(bytes) : bytes;
}

const utf8 = new TextDecoder();

/** The attempt's failure for an answer past the cap: a 502 before the client saw anything, so the next model is tried. */
export function tooLarge(model: ModelConfig, maxBytes: number): RouterError {
  return routerError(
    "bad_gateway",
    `upstream (${model.apiType}) answer is larger than max_response_size (${maxBytes} bytes)`,
  );
}
