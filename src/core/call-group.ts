import type { FailedAttempt } from "../attempt";
import { hashKey, type KeyHash } from "../balance/rendezvous";
import { DEFAULT_MAX_ATTEMPTS } from "../config/defaults";
import type { GroupConfig, ModelConfig } from "../config/types";
import { estimateRequest } from "../attempt/estimate";
import { routerError, type RouterError } from "../ir";
import { fitWindows, sizeMatters, tooLong, type RequestSize } from "./context-fit";
import { findSessionKey, type SessionKey } from "./session-key";
import { failedTry, tryModel, type GroupCall } from "./try-model";

/** A request that finds a member at its max_parallel when its turn comes may retry this soon. */
const BUSY_WAIT_MS = 1000;

export type { CallObserver, GroupCall } from "./try-model";

/** One request's way through its group and the group's fallbacks. */
interface Route {
  g: GroupCall;
  session?: SessionKey & { hash: KeyHash };
  size?: RequestSize;
  /** Every model tried, so no fallback group tries one again (made on the first try). */
  tried?: Set<string>;
  attempts: number;
  budget: number;
  last?: { failure: FailedAttempt; model: ModelConfig; group: GroupConfig };
  /** A failure that is the request's own fault: nothing else is tried. */
  stop?: boolean;
  /** After a context-length error: only models with a larger window than this are tried. */
  needWindow?: number;
  /** Why groups had nothing to offer, for the answer when nothing was tried at all. */
  waitMs?: number;
  windowLimit?: number;
}

/**
 * One model call, from group to answer: selectors and context windows decide which members are
 * eligible, the balancer orders them (by the conversation's session key, or the strategy), and
 * each is tried in turn until one commits; then the group's fallback groups, within one attempt
 * budget. Failing over happens only before the client has received anything.
 */
export async function routeCall(g: GroupCall): Promise<Response | RouterError> {
  const { call, group, runtime, signal, observe } = g;
  const config = runtime.config;
  const chain = group.chain ?? [group.name];
  const r: Route = { g, attempts: 0, budget: group.maxAttempts ?? DEFAULT_MAX_ATTEMPTS };
  // A group of one has nothing to order: its requests need no key.
  const ordered = (name: string) => {
    const grp = config.groups.get(name)!;
    return grp.affinity === "session" && grp.members.length > 1;
  };
  if (chain.some(ordered)) {
    const found = findSessionKey(call, config.affinityKeys);
    if (found) r.session = { ...found, hash: hashKey(found.key) };
  }
  for (const name of chain) {
    if (r.attempts >= r.budget || signal.aborted) break;
    // A key limited to some groups reaches no other group through fallbacks either.
    if (g.allows && !g.allows(name)) continue;
    const served = await tryGroup(r, config.groups.get(name)!);
    if (served) return served;
    if (r.stop) break;
  }
  if (!r.last) return nothingTried(r);
  observe?.failed?.(r.last.failure.error.message);
  // An error answer names the model and attempts too, whether the upstream's or the router's own.
  const answer = r.last.failure.response ?? call.client.encodeError(r.last.failure.error);
  return labelled(answer, r, r.last.model, r.last.group);
}

/** The group's members in the balancer's order, tried until one commits; undefined when none did. */
async function tryGroup(r: Route, group: GroupConfig): Promise<Response | undefined> {
  const { g } = r;
  const { runtime, signal, observe, call } = g;
  const config = runtime.config;
  // Sized once, and only when a group on the way needs it.
  if (!r.size && sizeMatters(config, group, runtime.selectors))
    r.size = await estimateRequest(call);
  const selected = eligibility(g, group, r.size);
  const fit = fitWindows(config, group, Array.isArray(selected) ? selected : await selected, {
    // A token count is how a client learns its prompt is too long: it is never refused for that.
    ...(call.op === "generate" && r.size ? { size: r.size } : {}),
    format: call.format,
    ...(r.needWindow !== undefined ? { larger: r.needWindow } : {}),
  });
  if (fit.largest !== undefined) r.windowLimit = Math.max(r.windowLimit ?? 0, fit.largest);
  if (signal.aborted) return undefined;
  const keyed = group.affinity === "session" && r.session !== undefined;
  const plan = runtime.balancer.plan(group, fit.eligible, {
    ...(keyed ? { session: r.session!.hash } : {}),
    ...(r.tried ? { exclude: r.tried } : {}),
    limit: r.budget - r.attempts,
  });
  if (plan.waitMs !== undefined) r.waitMs = Math.min(r.waitMs ?? Infinity, plan.waitMs);
  for (const candidate of plan.candidates) {
    const model = config.models.get(candidate.model)!;
    const cap = group.members[candidate.member]!.maxParallel;
    // The plan was made before earlier tries' awaits: a member may have filled up since, and an
    // overflow may have ruled out windows no larger than the one that overflowed.
    const busy = cap !== undefined && runtime.health.inFlight(model.name) >= cap;
    const tooSmall = r.needWindow !== undefined && !((model.contextWindow ?? 0) > r.needWindow);
    if (signal.aborted || busy || tooSmall) {
      // A probe handed out but never sent would keep the model from being probed for minutes.
      if (candidate.reason === "probe") runtime.health.releaseProbe(model.name);
      if (busy) r.waitMs = Math.min(r.waitMs ?? Infinity, BUSY_WAIT_MS);
      continue;
    }
    if (r.last) observe?.failover(r.last.model.name, model.name);
    r.attempts++;
    (r.tried ??= new Set()).add(model.name);
    const outcome = await tryModel(g, model, r.attempts);
    if (outcome.kind === "committed") {
      observe?.attempt(model.name, "ok");
      return labelled(outcome.response, r, model, group);
    }
    const failure = await failedTry(g, group, model, r.attempts, outcome);
    r.last = { failure, model, group };
    if (failure.error.subtype === "context_length_exceeded") {
      r.needWindow = Math.max(r.needWindow ?? 0, model.contextWindow ?? 0);
      continue;
    }
    if (!failure.retryable) return void (r.stop = true);
  }
  return undefined;
}

/**
 * The answer when no model was tried: every member that could take the request is cooling down or
 * busy (a 429 with the shortest wait, rather than a request sent into a known wall), none has a
 * window the request fits, or no selector matched.
 */
function nothingTried(r: Route): RouterError {
  const { group, signal } = r.g;
  if (signal.aborted)
    return routerError("invalid_request", "client closed the request", { status: 499 });
  if (r.waitMs !== undefined) {
    const seconds = Math.max(1, Math.ceil(r.waitMs / 1000));
    return routerError(
      "rate_limit",
      `every model of group "${group.name}" that could take this request is cooling down or at its max_parallel; retry in ${seconds} s`,
      { retryAfter: String(seconds) },
    );
  }
  if (r.windowLimit !== undefined && r.size) return tooLong(group.name, r.size, r.windowLimit);
  return routerError(
    "invalid_request",
    `no model of group "${group.name}" is eligible for this request: no selector matched`,
  );
}

/** Selector outcomes as eligibility; most groups have no selectors, and their answer needs no await. */
function eligibility(
  { call, runtime, observe }: GroupCall,
  group: GroupConfig,
  size: RequestSize | undefined,
): boolean[] | Promise<boolean[]> {
  if (!runtime.selectors || !group.members.some((m) => m.selector))
    return group.members.map(() => true);
  return runtime.selectors
    .evaluate(group.name, call.raw, call.format, size?.input)
    .then((outcomes) => {
      group.members.forEach((m, i) => m.selector && observe?.selector?.(outcomes[i]!));
      return outcomes.map((o) => o === "match");
    });
}

function labelled(res: Response, r: Route, model: ModelConfig, group: GroupConfig): Response {
  res.headers.set("x-llm-router-model", model.name);
  res.headers.set("x-llm-router-upstream-model", model.model);
  res.headers.set("x-llm-router-attempts", String(r.attempts));
  // Only a fallback group's answer needs saying which group served it: a header fewer on the rest.
  if (group !== r.g.group) res.headers.set("x-llm-router-group", group.name);
  const affinity = r.session && group.affinity === "session" ? r.session.source : undefined;
  if (affinity) res.headers.set("x-llm-router-affinity", affinity);
  r.g.observe?.routed?.({ affinity, group: group.name });
  return res;
}
