/**
 * A pass-through between a real CLI and the router that notes what the CLI does not show: how
 * each request presented its credential, which model it asked for, the status it got and what
 * the answer's headers said.
 */

export interface Tapped {
  method: string;
  path: string;
  /** the body's `model` (Anthropic, OpenAI, Responses); Gemini names it in the path */
  model: string | undefined;
  status: number;
  /** where the request carried a credential: x-api-key, bearer, x-goog-api-key, ?key= */
  auth: string[];
  /** the credentials themselves, in the same order */
  secrets: string[];
  /** what the answer's headers said: the model_name that served it, and the session key's source */
  served: string | null;
  affinity: string | null;
}

export interface Tap {
  url: string;
  seen: Tapped[];
  stop(): Promise<void>;
}

export function startTap(target: string): Tap {
  const seen: Tapped[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 120,
    async fetch(req) {
      const url = new URL(req.url);
      const presented: [string, string | null | undefined][] = [
        ["x-api-key", req.headers.get("x-api-key")],
        ["bearer", req.headers.get("authorization")?.replace(/^Bearer /i, "")],
        ["x-goog-api-key", req.headers.get("x-goog-api-key")],
        ["?key=", url.searchParams.get("key")],
      ];
      const given = presented.filter((p): p is [string, string] => !!p[1]);
      const body =
        req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(`${target}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body,
      });
      seen.push({
        method: req.method,
        path: url.pathname,
        model: body ? modelOf(body) : undefined,
        status: res.status,
        auth: given.map((g) => g[0]),
        secrets: given.map((g) => g[1]),
        served: res.headers.get("x-llm-router-model"),
        affinity: res.headers.get("x-llm-router-affinity"),
      });
      // fetch has already undone any content encoding; the length no longer applies either.
      const headers = new Headers(res.headers);
      headers.delete("content-encoding");
      headers.delete("content-length");
      return new Response(res.body, { status: res.status, headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

function modelOf(body: ArrayBuffer): string | undefined {
  try {
    const model = JSON.parse(new TextDecoder().decode(body))?.model;
    return typeof model === "string" ? model : undefined;
  } catch {
    return undefined;
  }
}
