import { routerError, type IRResponse, type RouterError } from "../../ir";
import type { CodecContext } from "../codec";

export function decodeResponse(_body: unknown, _ctx: CodecContext): IRResponse | RouterError {
  return routerError("not_implemented", "responses: not written yet");
}
