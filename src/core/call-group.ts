import {
  keyRejected,
  runAttempt,
  type Attempt,
  type AttemptOutcome,
  type FailedAttempt,
  type RoutedCall,
  type StreamEnd,
} from "../attempt";
import type { GroupConfig, ModelConfig } from "../config/types";
import { routerError, type RouterError, type Usage } from "../ir";
import type { Logger } from "../log";
import { readFailure, reportHealth } from "./failures";
import type { Runtime } from "./runtime";

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

/** A model call whose group is known, as the request path hands it on. */
export interface GroupCall {
  call: RoutedCall;
  group: GroupConfig;
  /** The runtime the request started with. */
  runtime: Runtime;
  /** The client's disconnect. */
  signal: AbortSignal;
  log: Logger;
  observe?: CallObserver;
}

/**
 * One model call, from group to answer: selectors decide which members are eligible, the
 * balancer orders them, and each is tried in turn until one commits. Failing over happens only
 * before the client has received anything; after that the attempt owns the stream.
 */
export async function routeCall(g: GroupCall): Promise<Response | RouterError> {
  const { call, group, runtime, signal, log, observe } = g;
  // Most groups have no selectors: their answer needs no await.
  const eligible =
    runtime.selectors && group.members.some((m) => m.selector)
      ? await eligibility(g)
      : group.members.map(() => true);
  const plan = runtime.balancer.plan(group, eligible);
  if (plan.candidates.length === 0) {
    return routerError(
      "invalid_request",
      `no model of group "${group.name}" is eligible for this request: ${plan.empty ?? "no selector matched"}`,
    );
  }
  let last: FailedAttempt | undefined;
  let attempts = 0;
  for (const candidate of plan.candidates) {
    if (signal.aborted) break;
    const model = runtime.config.models.get(candidate.model)!;
    if (last) observe?.failover(plan.candidates[attempts - 1]!.model, model.name);
    attempts++;
    const outcome = await tryModel(g, model, attempts);
    if (outcome.kind === "committed") {
      observe?.attempt(model.name, "ok");
      return labelled(outcome.response, model, attempts);
    }
    last = await failedTry(g, model, attempts, outcome);
    if (!last.retryable) break;
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

/**
 * One try against one model, which counts as busy until the try failed or its answer's stream
 * ended; that end is what the model's health learns from a committed answer.
 */
async function tryModel(g: GroupCall, model: ModelConfig, tries: number): Promise<AttemptOutcome> {
  const { runtime, log, observe } = g;
  const release = runtime.health.acquire(model.name);
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
  const attempt: Attempt = {
    call: g.call,
    model,
    server: runtime.config.server,
    secrets: runtime.secrets,
    signal: g.signal,
    log,
    onEnd,
    onUsage: observe?.usage,
  };
  let outcome: AttemptOutcome;
  try {
    outcome = await runAttempt(attempt);
  } catch (err) {
    release(); // an exception must not leave the model counted as busy
    throw err;
  }
  if (outcome.kind === "failed") release();
  return outcome;
}

/**
 * A failed try, accounted for: what the upstream said is read (a key it refused fails the model
 * for everyone), the model's health learns a retryable failure, and the log says why.
 */
async function failedTry(
  { call, group, runtime, signal, log, observe }: GroupCall,
  model: ModelConfig,
  attempt: number,
  upstream: FailedAttempt,
): Promise<FailedAttempt> {
  const said = await readFailure(upstream, call.client);
  const outcome = said.keyRejected ? keyRejected(model.name, upstream.error) : upstream;
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
      reason: await said.reason(),
    });
  log.info("attempt failed", {
    id: observe?.id,
    group: group.name,
    model: model.name,
    attempt,
    status: upstream.error.status,
    retryable: outcome.retryable,
    error: upstream.error.message,
  });
  // The upstream's answer is replaced by the router's own: let its body go.
  if (upstream.response && upstream !== outcome)
    void upstream.response.body?.cancel().catch(() => {});
  return outcome;
}

async function eligibility({ call, group, runtime, observe }: GroupCall): Promise<boolean[]> {
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
