import { isRouterError, routerError } from "../../../src/ir";
import type { Format, InboundCall, Operation, UpstreamModel } from "../../../src/wire";
import { context, upstreamModel } from "./samples";

/**
 * An upstream of one format that answers with exactly the bytes a test scripted, after checking
 * the request as strictly as the format itself can: the URL and auth header its `upstreamTarget`
 * gives for some call, a body its `peekRequest` accepts and (for generations) its decoder reads.
 * Anything else is refused in the format's own error shape and recorded, so a test sees it.
 */

export interface Scripted {
  /** Sent one element per read, so a stream really arrives in pieces. */
  chunks: string[];
  contentType?: string;
}

export interface Received {
  op: Operation;
  stream: boolean;
  /** With the query, for a failing test to show. */
  path: string;
}

export interface BytesUpstream {
  /** What the router's model for this upstream is configured with (`api_base`, `model`, `api_key`). */
  model: UpstreamModel;
  received: Received[];
  /** Why requests were refused, in arrival order. */
  refused: string[];
  /** Queues the answer to the next accepted request. */
  reply(s: Scripted): void;
  stop(): Promise<void>;
}

export async function startBytesUpstream(format: Format): Promise<BytesUpstream> {
  const received: Received[] = [];
  const refused: string[] = [];
  const queue: Scripted[] = [];
  // The format's default base names a path prefix ("/v1", "/v1beta"): the router must keep it.
  const prefix = new URL(format.defaultApiBase).pathname.replace(/\/$/, "");
  // Its base is known once the server listens, before any request can arrive.
  let model = upstreamModel("contract-upstream-model");

  const refuse = (why: string) => {
    refused.push(why);
    return format.encodeError(routerError("invalid_request", `bytes upstream refused: ${why}`));
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST") return refuse(`${req.method} ${url.pathname}`);
      const calls = callsAt(format, model, url, req.headers);
      if (calls.length === 0)
        return refuse(`no call of this format goes to ${url.pathname}${url.search}`);
      let body: unknown;
      try {
        body = JSON.parse(await req.text());
      } catch {
        return refuse("the body is not JSON");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body))
        return refuse("the body is not a JSON object");
      const json = body as Record<string, unknown>;
      // A generation when the URL allows one (OpenAI's path is the same for every call).
      const op = calls.some((c) => c.op === "generate") ? "generate" : calls[0]!.op;
      const peek = format.peekRequest(json, op);
      if (isRouterError(peek)) return refuse(peek.message);
      const readable = op === "generate" ? json : (format.countTokens?.request(json) ?? json);
      const decoded = format.codec.decodeRequest(readable, context(format));
      if (isRouterError(decoded)) return refuse(decoded.message);
      const streams = new Set(calls.filter((c) => c.op === op).map((c) => c.stream));
      const stream = streams.size === 1 ? [...streams][0]! : peek.stream;
      received.push({ op, stream, path: url.pathname + url.search });
      const next = queue.shift();
      if (!next) return refuse(`nothing scripted for request ${received.length}`);
      return answer(next, stream);
    },
  });

  model = upstreamModel(model.model, `http://127.0.0.1:${server.port}${prefix}`);
  return {
    model,
    received,
    refused,
    reply: (s) => void queue.push(s),
    stop: () => server.stop(true),
  };
}

/** The calls whose target is this URL with this request's auth header. */
function callsAt(format: Format, model: UpstreamModel, url: URL, headers: Headers) {
  const found: { op: Operation; stream: boolean }[] = [];
  const ops: Operation[] = format.countTokens ? ["generate", "countTokens"] : ["generate"];
  for (const op of ops)
    for (const stream of [false, true])
      for (const sse of [true, false]) {
        const call: InboundCall = {
          format: format.id,
          op,
          group: "group",
          stream,
          sse,
          body: {},
          raw: new Uint8Array(),
          headers: new Headers(),
        };
        const target = format.upstreamTarget(model, call);
        const want = new URL(target.url);
        if (want.pathname !== url.pathname || want.search !== url.search) continue;
        const authorised = [...target.headers].every(
          ([name, value]) => !value.includes(model.apiKey) || headers.get(name) === value,
        );
        if (authorised) found.push({ op, stream });
      }
  return found;
}

function answer(s: Scripted, stream: boolean): Response {
  const chunks = s.chunks.map((c) => new TextEncoder().encode(c));
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
  const type = s.contentType ?? (stream ? "text/event-stream" : "application/json");
  return new Response(body, { headers: { "content-type": type } });
}
