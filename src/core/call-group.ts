import type { GroupConfig, ModelConfig, ServerSettings } from "../config/types";
import { routerError, type RouterError, type Usage } from "../ir";
import type { Logger, SecretMask } from "../log";
import { keyRejected, type AttemptOutcome, type RoutedCall } from "../attempt/outcome";
import { converted } from "../attempt/convert";
import { countTokensConverted } from "../attempt/count-tokens";
import { passthrough } from "../attempt/passthrough";
import type { StreamEnd } from "../relay/pump";
import { readFailure, reportHealth } from "./failures";
import type { Runtime } from "./runtime";

/**
 * One model call, from group to answer: selectors decide which members are eligible, the
 * balancer orders them, and each is tried in turn until one commits. Failing over happens only
 * before the client has received anything; after that the attempt owns the stream.
 */
/** What the request path reports as it happens, for the request log line and metrics. */
export interface CallObserver {
  /** The request's id, for the log lines about it. */
  readonly id?: string;
  attempt(model: string, outcome: "ok" | "retryable_error" | "error" | "aborted"): void;
  failover(from: string, to: string): void;
  /** The committed answer's stream has really ended. */
  ended(model: string, attempts: number, how: StreamEnd): void;
  /** One member's selector was evaluated. */
  selector?(outcome: string): void;
  /** Token usage, when the answer was decoded (conversions). */
  usage?(usage: Usage): void;
  /** Every attempt failed; this is the error the answer carries. */
  failed?(error: string): void;
}

export async function routeCall(
  call: RoutedCall,
  group: GroupConfig,
  runtime: Runtime,
  signal: AbortSignal,
  log: Logger,
  observe?: CallObserver,
): Promise<Response | RouterError> {
  // Most groups have no selectors: their answer needs no await.
  const eligible =
    runtime.selectors && group.members.some((m) => m.selector)
      ? await eligibility(call, group, runtime, observe)
      : group.members.map(() => true);
  const plan = runtime.balancer.plan(group, eligible);
  if (plan.candidates.length === 0) {
    return routerError(
      "invalid_request",
      `no model of group "${group.name}" is eligible for this request: ${plan.empty ?? "no selector matched"}`,
    );
  }
  let last: Extract<AttemptOutcome, { kind: "failed" }> | undefined;
  let attempts = 0;
  for (const candidate of plan.candidates) {
    if (signal.aborted) break;
    const model = runtime.config.models.get(candidate.model)!;
    if (last) observe?.failover(plan.candidates[attempts - 1]!.model, model.name);
    attempts++;
    const release = runtime.health.acquire(model.name);
    const tries = attempts;
    const onEnd = (how: StreamEnd) => {
      release();
      if (how === "done")
        reportHealth(log, runtime.health.success(model.name), {
          model: model.name,
          id: observe?.id,
        });
      else if (how === "broken")
        reportHealth(log, runtime.health.failure(model.name), {
          model: model.name,
          id: observe?.id,
          reason: "its stream broke off",
        });
      observe?.ended(model.name, tries, how);
    };
    let outcome: AttemptOutcome;
    try {
      outcome = await attempt(
        call,
        model,
        runtime.config.server,
        runtime.secrets,
        signal,
        log,
        onEnd,
        observe?.usage,
      );
    } catch (err) {
      release(); // an exception must not leave the model counted as busy
      throw err;
    }
    if (outcome.kind === "committed") {
      observe?.attempt(model.name, "ok");
      return labelled(outcome.response, model, attempts);
    }
    release();
    const upstream = outcome;
    const said = await readFailure(outcome, call.client);
    if (said.keyRejected) outcome = keyRejected(model.name, outcome.error);
    observe?.attempt(
      model.name,
      signal.aborted ? "aborted" : outcome.retryable ? "retryable_error" : "error",
    );
    const change = outcome.retryable ? runtime.health.failure(model.name) : undefined;
    if (change)
      reportHealth(log, change, {
        model: model.name,
        id: observe?.id,
        status: upstream.error.status,
        reason: said.reason,
      });
    log.info("attempt failed", {
      id: observe?.id,
      group: group.name,
      model: model.name,
      attempt: attempts,
      status: upstream.error.status,
      retryable: outcome.retryable,
      error: upstream.error.message,
    });
    // The upstream's answer is replaced by the router's own: let its body go.
    if (upstream.response && upstream !== outcome)
      void upstream.response.body?.cancel().catch(() => {});
    last = outcome;
    if (!outcome.retryable) break;
  }
  if (!last) return routerError("invalid_request", "client closed the request", { status: 499 });
  observe?.failed?.(last.error.message);
  // An error answer names the model and attempts too, whether the upstream's or the router's own.
  const answer = last.response ?? call.client.encodeError(last.error);
  return labelled(
    answer,
    runtime.config.models.get(plan.candidates[attempts - 1]!.model)!,
    attempts,
  );
}

function attempt(
  call: RoutedCall,
  model: ModelConfig,
  server: ServerSettings,
  secrets: SecretMask,
  signal: AbortSignal,
  log: Logger,
  onEnd: (how: StreamEnd) => void,
  onUsage?: (u: Usage) => void,
): Promise<AttemptOutcome> {
  if (model.apiType === call.client.id)
    return passthrough(call, model, server, secrets, call.client, signal, onEnd);
  if (call.op === "countTokens")
    return countTokensConverted(call, model, server, signal, log, onEnd);
  return converted(call, model, server, secrets, signal, log, onEnd, onUsage);
}

async function eligibility(
  call: RoutedCall,
  group: GroupConfig,
  runtime: Runtime,
  observe?: CallObserver,
): Promise<boolean[]> {
  const outcomes = await runtime.selectors!.evaluate(group.name, call.raw, call.format);
  group.members.forEach((m, i) => m.selector && observe?.selector?.(outcomes[i]!));
  return outcomes.map((o) => o === "match");
}

function labelled(res: Response, model: ModelConfig, attempts: number): Response {
  res.headers.set("x-llm-router-model", model.name);
  res.headers.set("x-llm-router-upstream-model", model.model);
  res.headers.set("x-llm-router-attempts", String(attempts));
  return res;
}
