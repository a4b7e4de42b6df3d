import type { IRResponse } from "../../ir";
import type { CodecContext } from "../codec";

export function encodeResponse(_res: IRResponse, _ctx: CodecContext): unknown {
  return {};
}
