import {
  FORMAT_IDS,
  FORMATS,
  recogniseFormat,
  type CallRoute,
  type Format,
  type ModelsRoute,
} from "../wire";

/**
 * What a request path and method ask for. Decided by path, never by body (protocols.md §0):
 * each format lists the calls it serves (`Format.routes`); health, the root and model listings
 * are the router's own, answered in the format whose client is asking.
 */
export type Route =
  | { kind: "health" }
  | { kind: "root" }
  /** `GET /v1/usage`: spend per key; answered in the format the caller most likely speaks. */
  | { kind: "usage"; format: Format }
  | ({ kind: "models"; format: Format } & ModelsRoute)
  | ({ kind: "call"; format: Format } & CallRoute)
  | { kind: "unknown"; format: Format; status: 404 | 405 };

export function matchRoute(method: string, url: URL, headers: Headers): Route {
  const path =
    url.pathname.length > 1 && url.pathname.endsWith("/")
      ? url.pathname.slice(0, -1)
      : url.pathname;
  const read = method === "GET" || method === "HEAD";
  if (path === "/health") return read ? { kind: "health" } : unknown(headers, path, 405);
  if (path === "/") return read ? { kind: "root" } : unknown(headers, path, 405);
  if (path === "/v1/usage")
    return read
      ? { kind: "usage", format: recogniseFormat(path, headers) }
      : unknown(headers, path, 405);

  for (const id of FORMAT_IDS) {
    const format = FORMATS[id];
    const call = format.routes.match(path, url);
    if (call === undefined) continue;
    if (call === "unknown") return unknown(headers, path, 404);
    return method === "POST" ? { kind: "call", format, ...call } : unknown(headers, path, 405);
  }

  // Listings share paths across formats: the asking client's format reads the path first (its
  // own spelling of a model id), and answers.
  const format = recogniseFormat(path, headers);
  const models = format.routes.models(path) ?? anyModels(path);
  if (models === undefined || models === "unknown") return unknown(headers, path, 404);
  if (!read) return unknown(headers, path, 405);
  return { kind: "models", format, ...models };
}

function anyModels(path: string) {
  for (const id of FORMAT_IDS) {
    const found = FORMATS[id].routes.models(path);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** For errors on paths we do not serve, answer in the format the caller most likely speaks. */
function unknown(headers: Headers, path: string, status: 404 | 405): Route {
  return { kind: "unknown", format: recogniseFormat(path, headers), status };
}
