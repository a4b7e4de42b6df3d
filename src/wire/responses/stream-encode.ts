import type { IRRequest } from "../../ir";
import type { CodecContext, StreamEncoder } from "../codec";

export function createStreamEncoder(_ctx: CodecContext, _req: IRRequest): StreamEncoder {
  return { push: () => "", end: () => "" };
}
