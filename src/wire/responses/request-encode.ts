import { routerError, type IRRequest, type RouterError } from "../../ir";
import type { EncodeRequestContext } from "../codec";

export function encodeRequest(
  _req: IRRequest,
  _ctx: EncodeRequestContext,
): Record<string, unknown> | RouterError {
  return routerError("not_implemented", "responses: not written yet");
}
