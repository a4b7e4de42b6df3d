import type { Server } from "bun";
import type {
  Answer,
  Fault,
  Handled,
  JsonAnswer,
  MockKind,
  MockOptions,
  MockUpstream,
  Provider,
  RecordedRequest,
  Reply,
  Responder,
  StreamAnswer,
} from "./types.ts";
import { createOpenAI } from "./openai/provider.ts";
import { createAnthropic } from "./anthropic/provider.ts";
import { createGemini } from "./gemini/provider.ts";
import { createResponses } from "./responses/provider.ts";
import { createPromptCache } from "./anthropic/prompt-cache.ts";

const DEFAULT_SUFFIX: Record<MockKind, string> = {
  openai: "-2024-08-06",
  anthropic: "-20250929",
  gemini: "-001",
  responses: "-2025-08-07",
};
const DEFAULT_KEY: Record<MockKind, string> = {
  openai: "sk-mock-openai-key",
  anthropic: "sk-ant-mock-key",
  gemini: "AIzaMockGeminiKey",
  responses: "sk-mock-responses-key",
};
const FACTORIES = {
  openai: createOpenAI,
  anthropic: createAnthropic,
  gemini: createGemini,
  responses: createResponses,
};

// Pacing between stream events so clients really see a progressive stream (several reads),
// which is what the router's incremental parsers must cope with.
const tick = () => Bun.sleep(1);

type Srv = Server<undefined>;

export async function startMock(kind: MockKind, opts: MockOptions = {}): Promise<MockUpstream> {
  const apiKey = opts.apiKey ?? DEFAULT_KEY[kind];
  if (opts.promptCache && kind !== "anthropic")
    throw new Error(`promptCache is simulated for the anthropic mock only, not ${kind}`);
  const promptCache = opts.promptCache ? createPromptCache() : undefined;
  const provider: Provider = FACTORIES[kind]({
    apiKey,
    modelSuffix: opts.modelSuffix ?? DEFAULT_SUFFIX[kind],
    promptCache,
  });
  const requests: RecordedRequest[] = [];
  const replies: Reply[] = [];
  const faults: Fault[] = [];
  let responder: Responder | undefined;
  const waiters = new Set<() => void>();
  // Hanging handlers must be released on stop(), or server.stop would wait on them forever.
  const pending = new Set<() => void>();

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // Bun's maximum; stall/hang faults additionally switch the per-request timeout off.
    idleTimeout: 255,
    async fetch(req, srv): Promise<Response> {
      const url = new URL(req.url);
      const rawBody = await req.text();
      let body: any;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
      const headers = Object.fromEntries(req.headers);
      const rec: RecordedRequest = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        rawBody,
        body,
        aborted: false,
      };
      const record = () => {
        requests.push(rec);
        for (const w of [...waiters]) w();
      };
      let handled: Handled;
      try {
        handled = provider.handle({
          method: req.method,
          url,
          path: url.pathname,
          headers,
          rawBody,
          body,
        });
      } catch (e) {
        record();
        return crashed(rec, e);
      }
      if (handled.rejected) rec.rejected = handled.rejected;
      const fault = faults.shift();
      record();
      try {
        return respond(handled, fault, rec, req, srv);
      } catch (e) {
        return crashed(rec, e);
      }
    },
  });

  /** A bug inside the mock must be loud, not look like a provider answer. */
  function crashed(rec: RecordedRequest, e: unknown): Response {
    const message = `mock crashed: ${(e as Error)?.stack ?? String(e)}`;
    rec.rejected = { status: 500, message };
    return new Response(message, { status: 500 });
  }

  function respond(
    handled: Handled,
    fault: Fault | undefined,
    rec: RecordedRequest,
    req: Request,
    srv: Srv,
  ): Response | Promise<Response> {
    switch (fault?.kind) {
      case "status": {
        const a = provider.errorFor(fault.status, handled.streaming, fault.body);
        return json({ ...a, headers: { ...a.headers, ...fault.headers } });
      }
      case "reset":
        // Erroring the body before any byte makes Bun drop the socket without a status line.
        return new Response(new ReadableStream({ start: (c) => c.error(undefined) }));
      case "hang":
        srv.timeout(req, 0);
        return new Promise<Response>((resolve) => {
          const release = () => {
            pending.delete(release);
            resolve(new Response(null, { status: 504 }));
          };
          pending.add(release);
          req.signal.addEventListener("abort", () => {
            rec.aborted = true;
            release();
          });
        });
      case "garbage":
        return json(provider.garbage(handled.streaming));
    }
    const answer: Answer =
      handled.answer ?? handled.generate!(responder?.(rec) ?? replies.shift() ?? {});
    if (answer.kind === "stream") return stream(answer, 200, fault, rec, req, srv);
    if (!fault) return json(answer);
    if (fault.kind === "midstream-error")
      return json(provider.errorFor(provider.overloadedStatus, handled.streaming));
    if (fault.kind === "slow") return json(answer);
    // A non-stream body has no events: stall/truncate cut it in half instead.
    const half = Math.floor(answer.body.length / 2);
    const split: StreamAnswer = {
      kind: "stream",
      headers: answer.headers,
      events: [answer.body.slice(0, half), answer.body.slice(half)],
      terminal: 1,
      errorEvent: "",
    };
    return stream(split, answer.status, { ...fault, afterChunks: 1 }, rec, req, srv);
  }

  function json(a: JsonAnswer): Response {
    return new Response(a.body, { status: a.status, headers: a.headers });
  }

  function stream(
    a: StreamAnswer,
    status: number,
    fault: Fault | undefined,
    rec: RecordedRequest,
    req: Request,
    srv: Srv,
  ): Response {
    srv.timeout(req, 0);
    const enc = new TextEncoder();
    let closed = false;
    let wake = () => {};
    const stopped = new Promise<void>((r) => (wake = r));
    const onAbort = () => {
      if (closed) return;
      closed = true;
      rec.aborted = true;
      pending.delete(wake);
      wake();
    };
    req.signal.addEventListener("abort", onAbort);
    pending.add(wake);
    const cut =
      fault && "afterChunks" in fault
        ? Math.max(0, Math.min(fault.afterChunks, a.events.length - a.terminal))
        : a.events.length;

    const body = new ReadableStream<Uint8Array>({
      start(c) {
        const write = (s: string) => {
          if (!closed && s) c.enqueue(enc.encode(s));
        };
        const end = () => {
          if (closed) return;
          closed = true;
          pending.delete(wake);
          c.close();
        };
        const framed = (i: number, e: string) => (i === 0 ? (a.open ?? "") : (a.sep ?? "")) + e;
        void (async () => {
          let sent = 0;
          for (; sent < cut; sent++) {
            if (closed) return;
            write(framed(sent, a.events[sent]));
            await (fault?.kind === "slow" ? Bun.sleep(fault.gapMs) : tick());
          }
          if (fault?.kind === "stall") {
            // Bun holds the status line back until the first body byte, so a stall before any
            // event still needs one harmless byte: an SSE comment, or JSON whitespace in array mode.
            if (sent === 0) write(a.open !== undefined ? "\n" : ": keep-alive\n\n");
            await stopped;
            pending.delete(wake);
            return;
          }
          if (fault?.kind === "midstream-error") {
            const event =
              typeof a.errorEvent === "string" ? a.errorEvent : a.errorEvent(sent, fault);
            write(framed(sent, event) + (a.close ?? ""));
          } else if (fault?.kind !== "truncate") write(a.close ?? "");
          end();
        })();
      },
      cancel: onAbort,
    });
    return new Response(body, { status, headers: a.headers });
  }

  const url = `http://127.0.0.1:${server.port}`;
  return {
    kind,
    url,
    apiBase: provider.apiBase(url),
    apiKey,
    requests,
    promptCache,
    reply: (r) => void replies.push(r),
    respond: (fn) => void (responder = fn),
    fault: (f) => void faults.push(f),
    waitForRequests(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const check = () => {
          if (requests.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...requests]);
        };
        check();
        if (requests.length >= n) return;
        waiters.add(check);
        timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${kind} mock: waited ${timeoutMs}ms for ${n} requests, got ${requests.length}`,
            ),
          );
        }, timeoutMs);
      });
    },
    reset() {
      // Cleared in place: tests may hold on to the `requests` array.
      requests.length = 0;
      replies.length = 0;
      faults.length = 0;
      responder = undefined;
      promptCache?.clear();
    },
    async stop() {
      for (const release of [...pending]) release();
      await server.stop(true);
    },
  };
}
