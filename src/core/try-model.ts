/** One try against one model, and what its failure teaches: the model's health, cooldown and the log. */
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
import type { Usage } from "../ir";
import type { Logger } from "../log";
import { readFailure, reportCooldown, reportHealth } from "./failures";
import { routerError } from "../ir";
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
  /** How the request was routed: the session key's source, and the group whose model answered. */
  routed?(how: { affinity?: string; group?: string }): void;
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
  /** The groups the client's key may use: a fallback group it may not use is passed over. */
  allows?: (group: string) => boolean;
}

/**
 * One try against one model, which counts as busy until the try failed or its answer's stream
 * ended; that end is what the model's health learns from a committed answer.
 */
export async function tryModel(
  g: GroupCall,
  model: ModelConfig,
  tries: number,
): Promise<AttemptOutcome> {
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
    // Spend and token limits need every answer's usage, even where the client did not ask for it
    // (an OpenAI Chat stream then asks the upstream, and the client's stream stays as it was).
    wantUsage: model.pricing !== undefined || runtime.config.keys.length > 0,
  };
  // Known at load: sending it would only bring back the provider's 401 without the reason.
  if (model.apiKeyUnset) {
    release();
    const error = routerError(
      "bad_gateway",
      `model ${model.name} has no API key: its api_key ${model.apiKeyUnset} is empty because the variable is not set; set it and restart the router`,
    );
    return { kind: "failed", error, retryable: true };
  }
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
 * for everyone; a context overflow is the request's size, not the model's health), the model's
 * health learns a retryable failure, a wait the upstream asked for takes it out of every plan
 * for that long, and the log says why.
 */
export async function failedTry(
  { call, runtime, signal, log, observe }: GroupCall,
  group: GroupConfig,
  model: ModelConfig,
  attempt: number,
  upstream: FailedAttempt,
): Promise<FailedAttempt> {
  const said = await readFailure(upstream, call.client);
  let outcome: FailedAttempt = said.keyRejected
    ? keyRejected(model.name, upstream.error)
    : upstream;
  if (said.overflow && outcome.error.subtype !== "context_length_exceeded")
    outcome = { ...outcome, error: said.overflow };
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
  if (upstream.waitMs !== undefined && runtime.health.coolDown(model.name, upstream.waitMs))
    reportCooldown(log, { model: model.name, id: observe?.id, ms: upstream.waitMs });
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
  if (upstream.response && !outcome.response) void upstream.response.body?.cancel().catch(() => {});
  return outcome;
}
