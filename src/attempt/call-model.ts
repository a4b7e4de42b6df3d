import type { ModelConfig } from "../config/types";
import { routerError, type RouterError } from "../ir";
import { Deadlines } from "../upstream/deadlines";
import { callUpstream } from "../upstream/fetch";
import { applyHeaderRewrite } from "../upstream/headers";
import { readCapped, tooLarge } from "../upstream/read-capped";
import type { UpstreamTarget } from "../wire/format";

/** A model's answer, with the time limits that go on while its body is read. */
export interface ModelAnswer {
  res: Response;
  /** Ended by the caller (`done()`) once the body is read or handed to the client's stream. */
  deadlines: Deadlines;
}

/**
 * Sends one request to a model, as every kind of attempt does: the model's header rewrite
 * applied, its proxy, and its time limits. The body comes serialised: writing it can throw
 * (absurd nesting), and that must happen before any timer is armed.
 */
export async function callModel(
  model: ModelConfig,
  target: UpstreamTarget,
  body: string | Uint8Array,
  signal: AbortSignal,
  stream: boolean,
): Promise<ModelAnswer | RouterError> {
  applyHeaderRewrite(target.headers, model.rewriteHeader);
  const deadlines = new Deadlines(model.timeouts, signal, stream);
  const { url, headers } = target;
  const res = await callUpstream({ url, headers, body, signal, proxy: model.proxy, deadlines });
  if (res instanceof Response) return { res, deadlines };
  deadlines.done();
  return res;
}

/**
 * A model's whole answer, read within the response cap, its time limits ended then: the bytes,
 * or the attempt's failure when the answer is too large or broke off (a time limit that ran
 * out names itself).
 */
export async function readAnswer(
  answer: ModelAnswer,
  model: ModelConfig,
  cap: number,
): Promise<Uint8Array | RouterError> {
  const bytes = await readCapped(answer.res, cap);
  answer.deadlines.done();
  if (bytes === "too_large") return tooLarge(model, cap);
  return bytes ?? answer.deadlines.expired ?? brokeOff(model);
}

export function brokeOff(model: ModelConfig): RouterError {
  return routerError("bad_gateway", `upstream (${model.apiType}) broke off its answer`);
}
