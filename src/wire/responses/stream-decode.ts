import type { CodecContext, StreamDecoder } from "../codec";

export function createStreamDecoder(_ctx: CodecContext): StreamDecoder {
  return { push: () => [], end: () => [] };
}
