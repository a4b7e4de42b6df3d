import { isRouterError, routerError, type RouterError } from "../ir/error";
import type { Logger } from "../log";
import { WIRE, type InboundCall } from "../wire";
import { jsonResponse } from "../wire/respond";
import { makeAuthCheck } from "./auth";
import { parseJsonObject, readBody } from "./body";
import { routeCall } from "./route-call";
import { matchRoute, type Route } from "./routes";
import type { Runtime } from "./runtime";

export interface CoreDeps {
  /** Read once per request, so a reloaded config applies to the next request and not to running ones. */
  runtime: () => Runtime;
  token?: string;
  log: Logger;
  /** Called for requests that may stay quiet for long (model calls), to lift the server's idle timeout. */
  holdOpen?: (request: Request) => void;
}

export type Handler = (request: Request) => Promise<Response>;

/** The whole router as a plain function: Request in, Response out. The HTTP server is only a shell around it. */
export function createHandler(deps: CoreDeps): Handler {
  const authorized = makeAuthCheck(deps.token);
  return async (request) => {
    const url = new URL(request.url);
    const route = matchRoute(request.method, url, request.headers);
    if (route.kind === "health") return jsonResponse({ status: "ok" });
    if (route.kind === "root") return new Response("llm-router\n", { headers: { "content-type": "text/plain" } });
    const wire = WIRE[route.format];
    if (!authorized(request.headers, url)) {
      deps.log.info("unauthorized request", { path: url.pathname });
      return wire.encodeError(routerError("authentication", "invalid or missing API key for this router"));
    }
    try {
      const out = await dispatch(route, request, url, deps);
      if (out instanceof Response) return out;
      deps.log.debug("request refused", { path: url.pathname, status: out.status, error: out.message });
      return wire.encodeError(out);
    } catch (cause) {
      deps.log.error("unexpected failure", { path: url.pathname, error: String((cause as Error)?.stack ?? cause) });
      return wire.encodeError(routerError("internal", "internal router error"));
    }
  };
}

type Dispatched = Exclude<Route, { kind: "health" } | { kind: "root" }>;

async function dispatch(route: Dispatched, request: Request, url: URL, deps: CoreDeps): Promise<Response | RouterError> {
  if (route.kind === "unknown") {
    return route.status === 405
      ? routerError("invalid_request", `method ${request.method} is not allowed on ${url.pathname}`, { status: 405 })
      : routerError("not_found", `no such endpoint: ${request.method} ${url.pathname}`);
  }
  const runtime = deps.runtime();
  const config = runtime.config;
  const wire = WIRE[route.format];
  if (route.kind === "models") {
    if (route.id === undefined) return jsonResponse(wire.listModels([...config.groups.values()], url));
    const group = config.groups.get(route.id);
    return group ? jsonResponse(wire.getModel(group)) : routerError("model_not_found", `model group "${route.id}" does not exist`);
  }
  if (route.kind !== "call") return routerError("not_found", "no such endpoint");

  const raw = await readBody(request, config.server.maxBodyBytes);
  if (isRouterError(raw)) return raw;
  const body = parseJsonObject(raw);
  if (isRouterError(body)) return body;
  const peek = wire.peekRequest(body, route.op);
  if (isRouterError(peek)) return peek;
  const groupName = route.group ?? peek.group!;
  const group = config.groups.get(groupName);
  if (!group) return routerError("model_not_found", `model group "${groupName}" does not exist; GET /v1/models lists the groups`);

  const call: InboundCall = {
    format: route.format,
    op: route.op,
    group: groupName,
    stream: route.stream ?? peek.stream,
    sse: route.sse ?? peek.stream,
    body,
    raw,
    headers: request.headers,
  };
  deps.holdOpen?.(request);
  const res = await routeCall(call, group, runtime, request.signal, deps.log);
  if (res instanceof Response) deps.log.info("request", { format: call.format, group: groupName, model: res.headers.get("x-llm-router-model"), attempts: res.headers.get("x-llm-router-attempts"), status: res.status });
  return res;
}
