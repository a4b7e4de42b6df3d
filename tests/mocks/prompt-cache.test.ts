import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { jsonEvents, post } from "./testkit.ts";

// Every text below is 75 bytes, so each block's JSON, {"text":"…","type":"text"}, is 100 bytes:
// 25 tokens. That keeps the expected counts readable as multiples of 25.
const text = (tag: string) => tag.padEnd(75, ".");
const BLOCK = 25;
const mark = { type: "ephemeral" };

const user = (t: string, breakpoint = true) => ({
  role: "user",
  content: [{ type: "text", text: text(t), ...(breakpoint ? { cache_control: mark } : {}) }],
});
const assistant = (t: string) => ({ role: "assistant", content: text(t) });
const request = (messages: unknown[], extra: Record<string, unknown> = {}) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 64,
  system: text("system"),
  messages,
  ...extra,
});

let a: MockUpstream;
let b: MockUpstream;
beforeAll(async () => {
  [a, b] = await Promise.all([
    startMock("anthropic", { promptCache: true }),
    startMock("anthropic", { promptCache: true }),
  ]);
});
afterAll(() => Promise.all([a.stop(), b.stop()]));
beforeEach(() => {
  a.reset();
  b.reset();
});

async function usageOf(m: MockUpstream, body: unknown): Promise<Record<string, any>> {
  const res = await post(m, "/v1/messages", body);
  const json: any = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.usage;
}

const turn1 = [user("first question")];
const turn2 = [user("first question", false), assistant("first answer"), user("second question")];

describe("anthropic mock: prompt cache per instance", () => {
  test("a cold prompt is written up to its breakpoint; the next turn reads it back", async () => {
    expect(await usageOf(a, request(turn1))).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 2 * BLOCK,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 2 * BLOCK, ephemeral_1h_input_tokens: 0 },
    });
    // The breakpoint moved on to the new last turn; the old prefix is found all the same.
    expect(await usageOf(a, request(turn2))).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 2 * BLOCK,
      cache_read_input_tokens: 2 * BLOCK,
    });
    expect(a.promptCache!.uses).toEqual([
      { conversation: text("first question"), read: 0, written: 50, uncached: 0 },
      { conversation: text("first question"), read: 50, written: 50, uncached: 0 },
    ]);
  });

  test("another instance has a cache of its own", async () => {
    await usageOf(a, request(turn1));
    expect(await usageOf(b, request(turn2))).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 4 * BLOCK,
    });
  });

  test("what follows the last breakpoint is plain input, and only marked prefixes are written", async () => {
    const systemOnly = { system: [{ type: "text", text: text("system"), cache_control: mark }] };
    expect(await usageOf(a, request([user("one", false)], systemOnly))).toMatchObject({
      input_tokens: BLOCK,
      cache_creation_input_tokens: BLOCK,
      cache_read_input_tokens: 0,
    });
    // A different conversation under the same system prompt reads the system block only.
    expect(await usageOf(a, request([user("two")], systemOnly))).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: BLOCK,
      cache_read_input_tokens: BLOCK,
    });
  });

  test("without any breakpoint nothing is read or written", async () => {
    const unmarked = request([user("plain", false)]);
    for (let i = 0; i < 2; i++)
      expect(await usageOf(a, unmarked)).toMatchObject({
        input_tokens: 2 * BLOCK,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      });
  });

  test("a change inside the prefix is a miss from that block on", async () => {
    await usageOf(a, request(turn1));
    const edited = request(turn2, { system: text("another system") });
    expect(await usageOf(a, edited)).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 4 * BLOCK,
    });
  });

  test("a stream reports the same counts in message_start and message_delta", async () => {
    await usageOf(a, request(turn1));
    const res = await post(a, "/v1/messages", { ...request(turn2), stream: true });
    const events = jsonEvents(await res.text());
    const start = events.find((e) => e.type === "message_start").message.usage;
    const delta = events.find((e) => e.type === "message_delta").usage;
    for (const usage of [start, delta])
      expect(usage).toMatchObject({
        input_tokens: 0,
        cache_creation_input_tokens: 2 * BLOCK,
        cache_read_input_tokens: 2 * BLOCK,
      });
  });

  test("reset() makes the instance cold again", async () => {
    await usageOf(a, request(turn1));
    a.reset();
    expect(a.promptCache!.uses).toEqual([]);
    expect(await usageOf(a, request(turn2))).toMatchObject({ cache_read_input_tokens: 0 });
  });

  test("an instance without the option never reports a cache", async () => {
    const plain = await startMock("anthropic");
    try {
      expect(plain.promptCache).toBeUndefined();
      for (let i = 0; i < 2; i++)
        expect(await usageOf(plain, request(turn1))).toMatchObject({
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        });
    } finally {
      await plain.stop();
    }
  });

  test("only the anthropic mock simulates caching", async () => {
    await expect(startMock("openai", { promptCache: true })).rejects.toThrow(/anthropic mock only/);
  });
});
