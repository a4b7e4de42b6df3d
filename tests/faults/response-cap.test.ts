import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import { expectOpenAIError, parseJson } from "./util";

/**
 * An answer read whole (a non-streamed JSON answer) is read up to `max_response_size` (default
 * 64 MiB) counted after decompression: a 500 KB gzip body that inflates to 512 MiB is refused
 * with a 502 in the client's format before anything reached the client, so the next member is
 * tried, and the router's memory stays far below what reading it all would take.
 */
const BOMB = gzipSync(Buffer.alloc(512 * 1024 * 1024, 0x20), { level: 9 });
let bombs = 0;
let bomb: ReturnType<typeof Bun.serve>;
let h: Harness;

beforeAll(async () => {
  bomb = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => (
      bombs++,
      new Response(BOMB, {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
      })
    ),
  });
  const groups = [
    "    - name: bomb-pt",
    "      models: [{ name: bomb-oa }]",
    "    - name: bomb-cv",
    "      models: [{ name: bomb-an }]",
    "    - name: bomb-then-ok",
    "      models: [{ name: bomb-an, weight: 100 }, { name: oa, weight: 1 }]",
  ];
  h = await startHarness(groups.join("\n"), () =>
    [
      `  - model_name: bomb-oa\n    llm_params: { api_type: openai, model: gpt-bomb, api_base: "http://127.0.0.1:${bomb.port}/v1", api_key: k }`,
      `  - model_name: bomb-an\n    llm_params: { api_type: anthropic, model: claude-bomb, api_base: "http://127.0.0.1:${bomb.port}", api_key: k }`,
    ].join("\n"),
  );
});

afterAll(async () => {
  await h.stop();
  bomb.stop(true);
});

const chat = (group: string) =>
  fetch(`${h.base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ model: group, messages: [{ role: "user", content: "hi" }] }),
  });

describe("an upstream answer read whole is capped after decompression", () => {
  test.each([
    ["passthrough", "bomb-pt", "bomb-oa"],
    ["conversion", "bomb-cv", "bomb-an"],
  ])(
    "%s: a gzip body inflating to 512 MiB is a 502 in the client's format, with the router's memory bounded",
    async (_, group, model) => {
      Bun.gc(true);
      const before = process.memoryUsage().rss;
      const calls = bombs;
      const res = await chat(group);
      const grown = process.memoryUsage().rss - before;
      expect(bombs).toBe(calls + 1);
      expect(res.status).toBe(502);
      expect(expectOpenAIError(parseJson(await res.text())).message).toContain("max_response_size");
      expect(h.runtime.health.effectiveWeight(model, 100)).toBeLessThan(100);
      // Reading the whole body takes 512 MiB at least (2.2 GB was measured); the cap holds about
      // 64 MiB of it before letting go (65-175 MB of growth measured, inflate buffers included).
      expect(grown).toBeLessThan(400 * 1024 * 1024);
    },
  );

  test("failover applies: the next member answers", async () => {
    // Smooth round-robin offers the heavier member first.
    const res = await chat("bomb-then-ok");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-llm-router-model")).toBe("oa");
    expect(res.headers.get("x-llm-router-attempts")).toBe("2");
  });
});
