import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { SSE_FIXTURES } from "../relay/usage-kit";
import { reportedUsage, startReplay, tryModel, type ReplayUpstream } from "./usage-kit";

/**
 * An attempt that wants usage (`wantUsage`) of an OpenAI Chat stream whose client did not ask for
 * it asks the upstream (`stream_options.include_usage`), with the client's bytes otherwise kept,
 * and reads the usage; the usage-only chunk is kept from the client. Nothing changes for a client
 * that asked, for an answer that is not streamed, or for a format whose streams always state it.
 */

let r: ReplayUpstream;
let rewriting: ReplayUpstream;
beforeAll(async () => {
  r = await startReplay();
  // An operator whose upstream refuses the field takes it out: the configured rewrite comes last.
  rewriting = await startReplay(", rewrite_body: { stream_options: null }");
});
afterAll(async () => {
  await r.stop();
  await rewriting.stop();
});
beforeEach(() => {
  r.received.length = 0;
  rewriting.received.length = 0;
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const fixture = SSE_FIXTURES.find((f) => f.file === "openai/text-stream.sse")!;
const SSE = "text/event-stream";
const chat = (extra: Record<string, unknown> = {}) => ({
  model: "g-openai",
  stream: true,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

describe("the upstream request", () => {
  test("a client that did not ask: the ask is added at the start, every other byte kept", async () => {
    r.reply({ contentType: SSE, body: fixture.bytes });
    const body = chat();
    const t = await tryModel(r, "openai", "openai", { stream: true, wantUsage: true, body });
    const client = JSON.stringify(body).replace('"model":"g-openai"', '"model":"up-openai"');
    expect(r.received[0]).toBe(`{"stream_options":{"include_usage":true},${client.slice(1)}`);
    expect(reportedUsage(t)).toEqual({
      input: 78,
      cacheRead: 0,
      cacheWrite: 0,
      output: 9,
      reasoning: 0,
    });
    // The client sees the stream without the usage-only chunk, and the rest byte for byte.
    expect(t.body).not.toContain('"choices":[]');
    expect(t.body).toContain('"finish_reason":"stop"');
    expect(t.body.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("other stream options are kept; include_usage: false is asked over and the chunk dropped", async () => {
    for (const options of [{ include_obfuscation: false }, { include_usage: false }]) {
      r.received.length = 0;
      r.reply({ contentType: SSE, body: fixture.bytes });
      const body = chat({ stream_options: options });
      const t = await tryModel(r, "openai", "openai", { stream: true, wantUsage: true, body });
      expect(JSON.parse(r.received[0]!).stream_options).toEqual({
        ...options,
        include_usage: true,
      });
      expect(JSON.parse(r.received[0]!).model).toBe("up-openai");
      expect(reportedUsage(t)?.output).toBe(9);
      expect(t.body).not.toContain('"choices":[]');
    }
  });

  test("a client that asked: its request and its stream as they came", async () => {
    r.reply({ contentType: SSE, body: fixture.bytes });
    const body = chat({ stream_options: { include_usage: true } });
    const t = await tryModel(r, "openai", "openai", { stream: true, wantUsage: true, body });
    const client = JSON.stringify(body).replace('"model":"g-openai"', '"model":"up-openai"');
    expect(r.received[0]).toBe(client);
    expect(t.body).toBe(text(fixture.bytes).replaceAll('"gpt-4o-mini-2024-07-18"', '"g-openai"'));
    expect(reportedUsage(t)?.input).toBe(78);
  });

  test("without wantUsage the request goes as it came, and the usage is read if it comes", async () => {
    r.reply({ contentType: SSE, body: fixture.bytes });
    const body = chat();
    const t = await tryModel(r, "openai", "openai", { stream: true, body });
    expect(r.received[0]).not.toContain("stream_options");
    expect(t.body).toContain('"choices":[]');
    expect(reportedUsage(t)?.output).toBe(9);
  });

  test("a whole answer, or another format, is never asked", async () => {
    r.reply({ contentType: "application/json", body: new TextEncoder().encode("{}") });
    await tryModel(r, "openai", "openai", { wantUsage: true, body: chat({ stream: false }) });
    const anthropic = SSE_FIXTURES.find((f) => f.file === "anthropic/text-stream.sse")!;
    r.reply({ contentType: SSE, body: anthropic.bytes });
    const t = await tryModel(r, "anthropic", "anthropic", { stream: true, wantUsage: true });
    expect(r.received).toHaveLength(2);
    for (const received of r.received) expect(received).not.toContain("stream_options");
    expect(reportedUsage(t)).toBeDefined();
  });

  test("a configured rewrite comes last: it may take the ask out again", async () => {
    rewriting.reply({ contentType: SSE, body: fixture.bytes });
    await tryModel(rewriting, "openai", "openai", { stream: true, wantUsage: true, body: chat() });
    expect(JSON.parse(rewriting.received[0]!).stream_options).toBeUndefined();
  });
});
