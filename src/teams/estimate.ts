/**
 * The input tokens a request is assumed to hold when its key is admitted: a size-based guess,
 * not a tokenizer's count. Admission must stay cheap whatever the request (a tokenizer over a
 * 100 KB agent request costs half a millisecond), and the guess only holds a `tpm` reservation
 * until the answer's real usage replaces it, or prices a stream cut before it said its usage.
 *
 * Four bytes of JSON per token, like most English text in BPE vocabularies (JSON's quotes and
 * keys make it an overestimate, which is the safe side). Base64 media would count for far more
 * than it costs (an image is a few hundred to a few thousand tokens, not a quarter of its bytes),
 * so every base64 run is replaced by a flat MEDIA_TOKENS. The scan uses native searches only:
 * linear in the body, and a few microseconds for a large one.
 */

const BYTES_PER_TOKEN = 4;
/** What one image or document is taken for: about a 1000×1000 image in the main vendors' counts. */
const MEDIA_TOKENS = 1500;
/** Where base64 payloads start: data URLs (OpenAI, Responses), and Anthropic's and Gemini's `data`. */
const MARKS = [";base64,", '"data":"'].map((m) => Buffer.from(m));
const QUOTE = 0x22;
/** A `"data"` value shorter than this is text, not media. */
const MIN_MEDIA_BYTES = 1024;

export function roughInputTokens(raw: Uint8Array): number {
  const body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let media = 0;
  let mediaBytes = 0;
  for (const mark of MARKS) {
    let at = body.indexOf(mark);
    while (at !== -1) {
      const start = at + mark.length;
      const end = body.indexOf(QUOTE, start);
      const stop = end === -1 ? body.length : end;
      if (stop - start >= MIN_MEDIA_BYTES) {
        media++;
        mediaBytes += stop - start;
      }
      at = body.indexOf(mark, stop);
    }
  }
  return Math.ceil((body.length - mediaBytes) / BYTES_PER_TOKEN) + media * MEDIA_TOKENS;
}
