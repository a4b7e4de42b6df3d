import { runAttempt, type Attempt, type AttemptOutcome } from "../../src/attempt";
import { loadConfigText, type RouterConfig } from "../../src/config";
import { loadRuntime, type Runtime } from "../../src/core/runtime";
import type { Usage } from "../../src/ir";
import { silentLogger } from "../../src/log";
import { FORMATS, type FormatId } from "../../src/wire";

/**
 * Attempts against an upstream that answers with scripted bytes (a recorded fixture), one model
 * per format, so the same upstream bytes can go through passthrough and through conversion.
 */

export const KINDS: FormatId[] = ["openai", "anthropic", "gemini", "responses"];

export interface Scripted {
  contentType: string;
  body: Uint8Array;
  /** Reads it is sent in. */
  pieces?: number;
}

export interface ReplayUpstream {
  config: RouterConfig;
  runtime: Runtime;
  /** The bodies of the requests received, in order. */
  received: string[];
  reply(s: Scripted): void;
  stop(): Promise<void>;
}

export async function startReplay(extraParams = ""): Promise<ReplayUpstream> {
  const queue: Scripted[] = [];
  const received: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      received.push(await req.text());
      const next = queue.shift();
      if (!next) return new Response("nothing scripted", { status: 500 });
      const n = next.pieces ?? 3;
      const size = Math.ceil(next.body.length / n);
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= next.body.length) return c.close();
          c.enqueue(next.body.slice(at, (at += size)));
        },
      });
      return new Response(body, { headers: { "content-type": next.contentType } });
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  const models = KINDS.map(
    (k) => `  - model_name: m-${k}
    llm_params: { api_type: ${k}, model: up-${k}, api_base: "${base}", api_key: "sk-${k}"${extraParams} }`,
  ).join("\n");
  const groups = KINDS.map((k) => `    - { name: g-${k}, models: [{ name: m-${k} }] }`).join("\n");
  const config = loadConfigText(
    `model_list:\n${models}\nrouter_settings:\n  model_groups:\n${groups}\n`,
    "usage.yaml",
    {},
  );
  const runtime = await loadRuntime(config);
  return {
    config,
    runtime,
    received,
    reply: (s) => void queue.push(s),
    async stop() {
      await runtime.close();
      await server.stop(true);
    },
  };
}

/** The smallest valid generation request of each client format. */
function request(client: FormatId, group: string, stream: boolean): Record<string, unknown> {
  const hi = "hi";
  if (client === "openai")
    return { model: group, stream, messages: [{ role: "user", content: hi }] };
  if (client === "anthropic")
    return { model: group, stream, max_tokens: 32, messages: [{ role: "user", content: hi }] };
  if (client === "responses") return { model: group, stream, input: hi };
  return { contents: [{ role: "user", parts: [{ text: hi }] }] };
}

/** What a try reported, in order: `usage` and `end` calls. */
export type Reported = ["usage", Usage] | ["end", string];

export interface Tried {
  outcome: AttemptOutcome;
  reported: Reported[];
  /** The client's body (read whole), once the answer ended. */
  body: string;
}

export interface TryOptions {
  stream?: boolean;
  /** The client asked for SSE (default: when streaming). */
  sse?: boolean;
  /** Whether anyone listens for usage (default true). */
  listen?: boolean;
  wantUsage?: boolean;
  body?: Record<string, unknown>;
  /** The client cancels the answer as soon as it commits, instead of reading it. */
  cancel?: boolean;
}

/** One attempt of a `client` request against the model of upstream `kind`, read to its end. */
export async function tryModel(
  r: ReplayUpstream,
  client: FormatId,
  kind: FormatId,
  o: TryOptions = {},
): Promise<Tried> {
  const stream = o.stream ?? false;
  const group = `g-${kind}`;
  const body = o.body ?? request(client, group, stream);
  const reported: Reported[] = [];
  let ended!: () => void;
  const end = new Promise<void>((resolve) => (ended = resolve));
  const a: Attempt = {
    call: {
      format: client,
      client: FORMATS[client],
      op: "generate",
      group,
      stream,
      sse: o.sse ?? stream,
      body,
      raw: new TextEncoder().encode(JSON.stringify(body)),
      headers: new Headers({ "content-type": "application/json" }),
    },
    model: r.config.models.get(`m-${kind}`)!,
    server: r.config.server,
    secrets: r.runtime.secrets,
    signal: new AbortController().signal,
    log: silentLogger,
    onEnd: (how) => (reported.push(["end", how]), ended()),
    wantUsage: o.wantUsage,
  };
  if (o.listen !== false) a.onUsage = (u) => void reported.push(["usage", u]);
  const outcome = await runAttempt(a);
  if (outcome.kind !== "committed") return { outcome, reported, body: "" };
  if (o.cancel) {
    await outcome.response.body!.cancel();
    await end;
    return { outcome, reported, body: "" };
  }
  const text = await outcome.response.text();
  await end;
  return { outcome, reported, body: text };
}

/** The usage a try reported, checking it came once, before the end. */
export function reportedUsage(t: Tried): Usage | undefined {
  const kinds = t.reported.map((x) => x[0]).join(",");
  // A failed try reports nothing; a committed one its usage at most once, then its end.
  const allowed = t.outcome.kind === "committed" ? ["usage,end", "end"] : [""];
  if (!allowed.includes(kinds))
    throw new Error(`a ${t.outcome.kind} try reported ${kinds || "nothing"}`);
  return t.reported.find((x) => x[0] === "usage")?.[1] as Usage | undefined;
}
