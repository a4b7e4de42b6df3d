import { routerError, type IRRequest, type RouterError } from "../../ir";
import type { CodecContext } from "../codec";

export function decodeRequest(
  _body: Record<string, unknown>,
  _ctx: CodecContext,
): IRRequest | RouterError {
  return routerError("not_implemented", "responses: not written yet");
}
