import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { FinishReason, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { loadConfigText } from "../../src/config";
import { loadRuntime, type Runtime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { serve, type RunningServer } from "../../src/server/serve";
import { FORMATS } from "../../src/wire";
import { TOKEN } from "./harness";

/**
 * Keep-alives on converted streams, over real sockets, read by the official SDKs: an upstream
 * answers its first events and then goes silent until the test lets it go on. The test waits for
 * the client to have received keep-alives in the gap (signals, not sleeps), then checks that the
 * SDK still read the whole answer. A router with `stream_keepalive: 0` sends none; neither does
 * passthrough (the upstream's own pings pass as they are), nor Gemini's streamed JSON array.
 */

const EVERY_S = 0.2;
const ANTHROPIC_PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const COMMENT = ": keep-alive\n\n";
const GEMINI_COMMENT = ": keep-alive\r\n\r\n";
/** Keep-alives a test waits for: several intervals of silence. */
const GAP_KEEPALIVES = 3;

const anthropicEvent = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const textDelta = (text: string) =>
  anthropicEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text } });
const openaiChunk = (delta: object, finish: string | null = null, usage?: object) => {
  const choices = [{ index: 0, delta, finish_reason: finish }];
  const chunk = { id: "chatcmpl-ka", object: "chat.completion.chunk", created: 1, model: "gpt-up" };
  return `data: ${JSON.stringify({ ...chunk, choices, ...(usage ? { usage } : {}) })}\n\n`;
};

/** Each upstream format's stream: [what comes before the silence, what comes after]. */
const STREAMS: Record<"anthropic" | "openai", [string[], string[]]> = {
  anthropic: [
    [
      anthropicEvent("message_start", {
        message: {
          id: "msg_ka",
          type: "message",
          role: "assistant",
          model: "claude-up",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 3, output_tokens: 1 },
        },
      }),
      // Anthropic's own ping: passthrough relays it as it is; conversion drops it.
      ANTHROPIC_PING,
      anthropicEvent("content_block_start", {
        index: 0,
        content_block: { type: "text", text: "" },
      }),
      // Two deltas: a Gemini client's encoder holds each part until the next comes.
      textDelta("Hel"),
      textDelta("lo"),
    ],
    [
      textDelta(" world"),
      anthropicEvent("content_block_stop", { index: 0 }),
      anthropicEvent("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 2 },
      }),
      anthropicEvent("message_stop", {}),
    ],
  ],
  openai: [
    [
      openaiChunk({ role: "assistant", content: "" }),
      openaiChunk({ content: "Hel" }),
      openaiChunk({ content: "lo" }),
    ],
    [
      openaiChunk({ content: " world" }),
      openaiChunk({}, "stop", { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }),
      "data: [DONE]\n\n",
    ],
  ],
};

/** One upstream answer: silent after its first events until `resume()`. */
interface Turn {
  silent: Promise<void>;
  resume(): void;
}

interface Router {
  server: RunningServer;
  runtime: Runtime;
}

let upstream: ReturnType<typeof Bun.serve>;
const turns: Turn[] = [];
let turnArrived = () => {};
let on: Router;
let off: Router;

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      await req.arrayBuffer();
      const [head, rest] = STREAMS[req.url.endsWith("/messages") ? "anthropic" : "openai"];
      const silent = Promise.withResolvers<void>();
      const go = Promise.withResolvers<void>();
      turns.push({ silent: silent.promise, resume: go.resolve });
      turnArrived();
      const bytes = (events: string[]) => new TextEncoder().encode(events.join(""));
      let step = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (step++ === 0) return c.enqueue(bytes(head));
          // Asked for more: the first events went out, and the model is now "thinking".
          silent.resolve();
          await go.promise;
          c.enqueue(bytes(rest));
          c.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  on = await startRouter(EVERY_S);
  off = await startRouter(0);
});
afterAll(async () => {
  for (const r of [on, off]) {
    await r.server.stop();
    await r.runtime.close();
  }
  upstream.stop(true);
});

async function startRouter(keepAliveS: number): Promise<Router> {
  const base = `http://127.0.0.1:${upstream.port}`;
  const config = loadConfigText(
    `model_list:
  - model_name: an
    llm_params: { api_type: anthropic, model: claude-up, api_base: "${base}", api_key: sk-up }
  - model_name: oa
    llm_params: { api_type: openai, model: gpt-up, api_base: "${base}/v1", api_key: sk-up }
server_settings:
  stream_keepalive: ${keepAliveS}
router_settings:
  model_groups:
    - { name: from-anthropic, models: [{ name: an }] }
    - { name: from-openai, models: [{ name: oa }] }
`,
    "keep-alive.yaml",
    {},
  );
  const runtime = await loadRuntime(config);
  const server = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    { runtime: () => runtime, token: TOKEN, log: silentLogger },
  );
  return { server, runtime };
}

/** The upstream answer after the first `n`, once its request arrived. */
async function turnAfter(n: number): Promise<Turn> {
  while (turns.length <= n) await new Promise<void>((r) => (turnArrived = r));
  return turns[n]!;
}

/** A fetch for the SDKs that also keeps what the client received, for the test to wait on. */
class Tap {
  text = "";
  private waiters: { ready: () => boolean; resolve: () => void }[] = [];

  readonly fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    const decoder = new TextDecoder();
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, c) => {
          this.text += decoder.decode(chunk, { stream: true });
          this.waiters = this.waiters.filter((w) => !(w.ready() && (w.resolve(), true)));
          c.enqueue(chunk);
        },
      }),
    );
    const { status, statusText, headers } = res;
    return new Response(body, { status, statusText, headers });
  };

  count(part: string): number {
    return this.text.split(part).length - 1;
  }

  /** Resolves once what the client received satisfies `ready`. */
  until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    const w = Promise.withResolvers<void>();
    this.waiters.push({ ready, resolve: w.resolve });
    return w.promise;
  }
}

interface Client {
  /** The group it asks by default: one whose upstream speaks another format. */
  group: string;
  keepAlive: string;
  /** A streamed call; the text the SDK put together from the whole stream. */
  ask(base: string, group: string, tap: Tap): Promise<string>;
}

const CLIENTS: Record<string, Client> = {
  anthropic: {
    group: "from-openai",
    keepAlive: ANTHROPIC_PING,
    async ask(base, group, tap) {
      const client = new Anthropic({
        baseURL: base,
        apiKey: TOKEN,
        maxRetries: 0,
        fetch: tap.fetch,
      });
      const message = await client.messages
        .stream({ model: group, max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
        .finalMessage();
      expect(message.stop_reason).toBe("end_turn");
      return message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    },
  },
  "openai chat": {
    group: "from-anthropic",
    keepAlive: COMMENT,
    async ask(base, group, tap) {
      const client = new OpenAI({
        baseURL: `${base}/v1`,
        apiKey: TOKEN,
        maxRetries: 0,
        fetch: tap.fetch,
      });
      const stream = await client.chat.completions.create({
        model: group,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      let text = "";
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe("stop");
      return text;
    },
  },
  "openai responses": {
    group: "from-anthropic",
    keepAlive: COMMENT,
    async ask(base, group, tap) {
      const client = new OpenAI({
        baseURL: `${base}/v1`,
        apiKey: TOKEN,
        maxRetries: 0,
        fetch: tap.fetch,
      });
      const response = await client.responses
        .stream({ model: group, input: "hi", stream: true })
        .finalResponse();
      expect(response.status).toBe("completed");
      return response.output_text;
    },
  },
  gemini: {
    group: "from-anthropic",
    keepAlive: GEMINI_COMMENT,
    async ask(base, group, tap) {
      const client = new GoogleGenAI({
        apiKey: TOKEN,
        httpOptions: { baseUrl: base, fetch: tap.fetch },
      });
      const chunks = await Array.fromAsync(
        await client.models.generateContentStream({ model: group, contents: "hi" }),
      );
      expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
      return chunks.map((c) => c.text ?? "").join("");
    },
  },
};

/**
 * Starts a client's streamed call on a router and waits until its upstream went silent: the
 * client's tap, the upstream's turn, and the SDK's result to come.
 */
async function startCall(name: string, router: Router, group = CLIENTS[name]!.group) {
  const tap = new Tap();
  const n = turns.length;
  const answer = CLIENTS[name]!.ask(router.server.url.origin, group, tap);
  const turn = await turnAfter(n);
  await turn.silent;
  return { tap, turn, answer };
}

describe("keep-alives on converted streams", () => {
  test("the client formats' keep-alives, as their APIs write them", () => {
    expect(FORMATS.anthropic.streamKeepAlive).toBe(ANTHROPIC_PING);
    expect(FORMATS.openai.streamKeepAlive).toBe(COMMENT);
    expect(FORMATS.responses.streamKeepAlive).toBe(COMMENT);
    expect(FORMATS.gemini.streamKeepAlive).toBe(GEMINI_COMMENT);
  });

  test.each(Object.keys(CLIENTS))(
    "%s: keep-alives in the upstream's silence, and the SDK reads the whole answer",
    async (name) => {
      const { tap, turn, answer } = await startCall(name, on);
      const keepAlive = CLIENTS[name]!.keepAlive;
      await tap.until(() => tap.count(keepAlive) >= GAP_KEEPALIVES);
      // They came in the gap: after the answer's first words, before the rest.
      expect(tap.text.indexOf(keepAlive)).toBeGreaterThan(tap.text.indexOf("Hel"));
      expect(tap.text).not.toContain("world");
      turn.resume();
      expect(await answer).toBe("Hello world");
      // One may have been on its way when the upstream went on; none came after the end.
      expect(tap.count(keepAlive)).toBeLessThanOrEqual(GAP_KEEPALIVES + 1);
    },
    10_000,
  );

  test("with stream_keepalive 0 none is sent, while another router's stream gets them", async () => {
    const quiet = await startCall("openai chat", off);
    const kept = await startCall("anthropic", on);
    await kept.tap.until(() => kept.tap.count(ANTHROPIC_PING) >= GAP_KEEPALIVES);
    // The quiet stream went silent first, so it has been silent longer: it got nothing.
    expect(quiet.tap.text).toContain("Hel");
    expect(quiet.tap.count(COMMENT)).toBe(0);
    quiet.turn.resume();
    kept.turn.resume();
    expect(await quiet.answer).toBe("Hello world");
    expect(await kept.answer).toBe("Hello world");
    expect(quiet.tap.count(COMMENT)).toBe(0);
  }, 10_000);
});

describe("streams that get no keep-alive", () => {
  test("passthrough: the upstream's bytes, its own ping included, and nothing added", async () => {
    const through = await startCall("anthropic", on, "from-anthropic");
    const kept = await startCall("openai chat", on);
    await kept.tap.until(() => kept.tap.count(COMMENT) >= GAP_KEEPALIVES);
    // The upstream's one ping, and no other, though the silence was longer.
    expect(through.tap.count(ANTHROPIC_PING)).toBe(1);
    through.turn.resume();
    kept.turn.resume();
    expect(await through.answer).toBe("Hello world");
    expect(await kept.answer).toBe("Hello world");
    // Byte for byte, but for the model, which names the group.
    const sent = STREAMS.anthropic.flat().join("");
    expect(through.tap.text).toBe(sent.replace('"model":"claude-up"', '"model":"from-anthropic"'));
  }, 10_000);

  test("Gemini's streamed JSON array: not a byte in the silence", async () => {
    const n = turns.length;
    const url = `${on.server.url.origin}/v1beta/models/from-anthropic:streamGenerateContent`;
    const res = await fetch(url, {
      method: "POST",
      headers: { "x-goog-api-key": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    const turn = await turnAfter(n);
    await turn.silent;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let array = "";
    while (!array.includes("Hel")) array += decoder.decode((await reader.read()).value);
    expect(array.startsWith("[")).toBe(true);
    // The array's next read, whenever it comes.
    const nextRead = reader.read();
    let more = false;
    void nextRead.then(() => (more = true));
    const kept = await startCall("openai chat", on);
    await kept.tap.until(() => kept.tap.count(COMMENT) >= GAP_KEEPALIVES);
    expect(more).toBe(false);
    turn.resume();
    kept.turn.resume();
    expect(await kept.answer).toBe("Hello world");
    for (let r = await nextRead; !r.done; r = await reader.read()) array += decoder.decode(r.value);
    type Chunk = { candidates: { content: { parts: { text: string }[] } }[] };
    const chunks = JSON.parse(array) as Chunk[];
    const parts = chunks.flatMap((c) => c.candidates[0]?.content.parts ?? []);
    expect(parts.map((p) => p.text).join("")).toBe("Hello world");
  }, 10_000);
});
