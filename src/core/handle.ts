import type { RoutedCall } from "../attempt";
import { isRouterError, routerError, type RouterError } from "../ir/error";
import type { Logger } from "../log";
import type { Metrics } from "../metrics";
import { RequestMedia } from "../upstream/media/request-media";
import { CLIENT_KEYS } from "../wire";
import { jsonResponse } from "../wire/respond";
import { credentials } from "../auth";
import { roughInputTokens, Teams, type Principal } from "../teams";
import { parseJsonObject, readBody } from "./body";
import { BodyBudget } from "./body-budget";
import { health } from "./health";
import { routeCall } from "./call-group";
import { matchRoute, type Route } from "./routes";
import type { Runtime } from "./runtime";
import { Tracker } from "./tracker";

export interface CoreDeps {
  /** Read once per request, so a reloaded config applies to the next request and not to running ones. */
  runtime: () => Runtime;
  token?: string;
  log: Logger;
  metrics?: Metrics;
  /** `GET /metrics`; it applies its own access rule (the token, unless configured public). */
  metricsEndpoint?: Handler;
  /** Called for requests that may stay quiet for long (model calls), to lift the server's idle timeout. */
  holdOpen?: (request: Request) => void;
  /** What every request body holds at once; one is made per handler when not given (tests look into it). */
  bodies?: BodyBudget;
}

export type Handler = (request: Request) => Promise<Response>;

/** The whole router as a plain function: Request in, Response out. The HTTP server is only a shell around it. */
export function createHandler(deps: CoreDeps): Handler {
  // Outlives config reloads: bodies read under the old limit still count.
  const bodies = deps.bodies ?? new BodyBudget();
  // The keys of each config with this server's token, built once per runtime (a reload makes a
  // new one); their counters live in the runtime's store, which outlives reloads.
  const teamsByRuntime = new WeakMap<Runtime, Teams>();
  const teamsOf = (r: Runtime): Teams => {
    let teams = teamsByRuntime.get(r);
    if (!teams) {
      const { keys, models } = r.config;
      teams = new Teams({ keys, token: deps.token, store: r.store, models });
      teamsByRuntime.set(r, teams);
    }
    return teams;
  };
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/metrics" && deps.metricsEndpoint) return deps.metricsEndpoint(request);
    const route = matchRoute(request.method, url, request.headers);
    if (route.kind === "root")
      return new Response("llm-router\n", { headers: { "content-type": "text/plain" } });
    // Read once: a reloaded config (and its keys) applies to the next request, not to this one.
    const runtime = deps.runtime();
    const teams = teamsOf(runtime);
    const caller = teams.identify(credentials(request.headers, url, CLIENT_KEYS));
    if (route.kind === "health")
      return health(
        runtime,
        !isRouterError(caller) && caller.admin && url.searchParams.has("detail"),
      );
    const wire = route.format;
    if (isRouterError(caller)) {
      deps.log.info("unauthorized request", { path: url.pathname, error: caller.message });
      return wire.encodeError(caller);
    }
    if (route.kind === "usage") {
      // A store that cannot vouch for its numbers refuses (503) rather than report wrong ones.
      const report = await teams.usageReport(caller).catch((err: unknown) => {
        deps.log.warn("usage report unavailable", {
          error: String((err as Error)?.message ?? err),
        });
        return isRouterError(err) ? err : routerError("internal", "usage report unavailable");
      });
      if (isRouterError(report)) return wire.encodeError(report);
      return jsonResponse(report, 200, { "cache-control": "no-store" });
    }
    const track = new Tracker(deps.log, deps.metrics, route.format.id);
    track.key = caller.name;
    try {
      const out = await dispatch({
        route,
        request,
        url,
        deps,
        track,
        bodies,
        runtime,
        teams,
        caller,
      });
      if (out instanceof Response) return track.answered(out);
      deps.log.debug("request refused", {
        id: track.id,
        path: url.pathname,
        status: out.status,
        error: out.message,
      });
      const res = wire.encodeError(out);
      // A spent budget stays spent until its period ends: the OpenAI and Anthropic SDKs (and
      // Claude Code) read this header and do not retry, where Retry-After alone may not stop them.
      if (out.subtype === "budget_exceeded") res.headers.set("x-should-retry", "false");
      // A body that never finished arriving, or was never read, leaves the connection unusable: close it.
      if (out.closeConnection) res.headers.set("connection", "close");
      return track.answered(res, out.message);
    } catch (cause) {
      // Nesting deep enough to exhaust the stack while walking the body is the body's fault.
      if (cause instanceof RangeError && /call stack/i.test(cause.message)) {
        return track.answered(
          wire.encodeError(routerError("invalid_request", "request body is nested too deeply")),
          "nested too deeply",
        );
      }
      deps.log.error("unexpected failure", {
        id: track.id,
        path: url.pathname,
        error: String((cause as Error)?.stack ?? cause),
      });
      return track.answered(
        wire.encodeError(routerError("internal", "internal router error")),
        "internal error",
      );
    }
  };
}

/** A request past authorisation, as the handler's steps hand it on. */
interface Inbound {
  route: Exclude<Route, { kind: "health" } | { kind: "root" } | { kind: "usage" }>;
  request: Request;
  url: URL;
  deps: CoreDeps;
  track: Tracker;
  /** What every request body holds at once. */
  bodies: BodyBudget;
  runtime: Runtime;
  teams: Teams;
  /** Who asked: the admin (router token) or one of the configured keys. */
  caller: Principal;
}

/** A model call whose body has arrived, read under the runtime the request started with. */
interface ModelRequest extends Inbound {
  route: Extract<Route, { kind: "call" }>;
  raw: Uint8Array;
  media: RequestMedia;
}

async function dispatch(req: Inbound): Promise<Response | RouterError> {
  const { route, request, url, bodies, runtime, caller } = req;
  if (route.kind === "unknown") {
    return route.status === 405
      ? routerError(
          "invalid_request",
          `method ${request.method} is not allowed on ${url.pathname}`,
          { status: 405 },
        )
      : routerError("not_found", `no such endpoint: ${request.method} ${url.pathname}`);
  }
  const config = runtime.config;
  const wire = route.format;
  if (route.kind === "models") {
    req.track.quiet = true;
    if (route.id === undefined) {
      const mine = [...config.groups.values()].filter((g) => caller.allows(g.name));
      return jsonResponse(wire.listModels(mine, url));
    }
    const group = config.groups.get(route.id);
    if (!group)
      return routerError("model_not_found", `model group "${clip(route.id)}" does not exist`);
    return caller.allows(group.name)
      ? jsonResponse(wire.getModel(group))
      : notAllowed(caller, group.name);
  }

  const type = request.headers.get("content-type");
  if (type && !isJsonType(type)) {
    return routerError(
      "invalid_request",
      `request bodies are JSON: send Content-Type: application/json, not "${clip(type)}"`,
      { status: 415, closeConnection: true },
    );
  }
  const raw = await readBody(request, config.server.maxBodyBytes, config.server.bodyTimeoutMs, {
    budget: bodies,
    limit: config.server.maxTotalBodyBytes,
  });
  if (isRouterError(raw)) return raw;
  // Media the request makes the router download count in the same budget, until the request is answered.
  const media = new RequestMedia(config.server.media, request.signal, {
    budget: bodies,
    limit: config.server.maxTotalBodyBytes,
  });
  try {
    return await modelCall({ ...req, route, runtime, raw, media });
  } finally {
    bodies.release(raw.length);
    media.release();
  }
}

/** A model call whose body has arrived: parsed, its group found, and routed. */
async function modelCall(req: ModelRequest): Promise<Response | RouterError> {
  const { route, request, raw, runtime, deps, track, media, caller, teams } = req;
  const config = runtime.config;
  const wire = route.format;
  const body = parseJsonObject(raw);
  if (isRouterError(body)) return body;
  const peek = wire.peekRequest(body, route.op);
  if (isRouterError(peek)) return peek;
  const groupName = route.group ?? peek.group!;
  const group = config.groups.get(groupName);
  if (!group)
    return routerError(
      "model_not_found",
      `model group "${clip(groupName)}" does not exist; GET /v1/models lists the groups`,
    );
  track.group = groupName;
  if (!caller.allows(groupName)) return notAllowed(caller, groupName);

  const call: RoutedCall = {
    format: wire.id,
    client: wire,
    op: route.op,
    group: groupName,
    stream: route.stream ?? peek.stream,
    sse: route.sse ?? peek.stream,
    body,
    raw,
    headers: request.headers,
    media,
  };
  // Admission under the key's limits: after the group is known (a refused group costs nothing)
  // and before anything goes upstream. Only a key with a tpm or a budget asks the request's size.
  const ticket = await teams.admit(caller, {
    id: track.id,
    estimate: () => roughInputTokens(raw),
  });
  if (isRouterError(ticket)) return ticket;
  track.ticket = ticket;
  deps.holdOpen?.(request);
  return routeCall({
    call,
    group,
    runtime,
    signal: request.signal,
    log: deps.log,
    observe: track,
    allows: (name) => caller.allows(name),
  });
}

/**
 * `application/json` or a `+json` type, any parameters. A missing or empty Content-Type is let
 * through (the body must still parse): minimal clients omit it, and the answer is the same.
 */
function isJsonType(type: string): boolean {
  if (type === "application/json") return true;
  const media = type.split(";", 1)[0]!.trim().toLowerCase();
  return media === "application/json" || media.endsWith("+json");
}

/** 403 naming the group asked for, and none of the groups the key does have. */
function notAllowed(caller: Principal, group: string): RouterError {
  return routerError("permission", `key "${caller.name}" may not use model group "${clip(group)}"`);
}

/** A name the client chose, shortened for messages and logs (a 30 MB "model" must not flood them). */
function clip(name: string): string {
  return name.length > 80 ? `${name.slice(0, 80)}… (${name.length} characters)` : name;
}
