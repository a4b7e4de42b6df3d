import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { loadConfigText } from "../../src/config";
import { BodyBudget } from "../../src/core/body-budget";
import { createRuntime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { serve, type RunningServer } from "../../src/server/serve";
import { startMock, type MockUpstream } from "../mocks";

/**
 * Over real HTTP: clients that hold large bodies open use up server_settings.max_total_body_size;
 * a body that does not fit beside them is answered at once with a 503 the SDKs understand, small
 * requests are still served, and once the held bodies arrive everything is served again.
 */
let router: RunningServer;
let mock: MockUpstream;
const bodies = new BodyBudget();
const HELD = 4;
const HELD_SIZE = 60_000; // declared by each held client: 240,000 of 262,144 bytes

beforeAll(async () => {
  mock = await startMock("openai", { apiKey: "sk-budget" });
  const config = loadConfigText(
    `server_settings: { max_body_size: 64KiB, max_total_body_size: 256KiB }
model_list:
  - { model_name: m, llm_params: { api_type: openai, model: up, api_base: "${mock.apiBase}", api_key: sk-budget } }
router_settings:
  model_groups: [{ name: g, models: [{ name: m }] }]
`,
    "budget.yaml",
    {},
  );
  router = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    { runtime: () => createRuntime(config), log: silentLogger, bodies },
  );
});
afterAll(async () => {
  await router.stop();
  await mock.stop();
});

/** Waits for a condition the server reaches on its own; the bound only gives up on it. */
async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const started = performance.now(); !cond(); await Bun.sleep(10)) {
    if (performance.now() - started > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

/** A chat request of exactly `size` bytes. */
function body(size: number): string {
  const head = '{"model":"g","messages":[{"role":"user","content":"';
  const tail = '"}]}';
  return head + "x".repeat(size - head.length - tail.length) + tail;
}

const post = (size: number) =>
  fetch(`${router.url.origin}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body(size),
  });

test("held bodies fill the total: a large body gets 503 with Retry-After, small ones are served, and all are served once the held ones arrive", async () => {
  const port = Number(router.url.port);
  const sockets: Socket[] = [];
  const held = Array.from({ length: HELD }, () => {
    const sock = connect(port, "127.0.0.1");
    sockets.push(sock);
    const text = body(HELD_SIZE);
    sock.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${HELD_SIZE}\r\n\r\n${text.slice(0, 100)}`,
    );
    let reply = "";
    sock.on("data", (d) => (reply += d.toString()));
    sock.on("error", () => {});
    return { sock, rest: text.slice(100), reply: () => reply };
  });
  try {
    await until(
      "the held requests to count their declared sizes",
      () => bodies.inUse === HELD * HELD_SIZE,
    );

    const refused = await post(30_000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    const err = (await refused.json()) as { error: { message: string; type: string } };
    expect(err.error.message).toContain("max_total_body_size");
    expect((await post(1_000)).status).toBe(200); // fits beside the held ones

    for (const h of held) h.sock.write(h.rest);
    await until("the held requests to be answered", () =>
      held.every((h) => h.reply().includes("\r\n\r\n")),
    );
    expect(held.map((h) => h.reply().split("\r\n")[0])).toEqual(
      Array(HELD).fill("HTTP/1.1 200 OK"),
    );

    expect((await post(30_000)).status).toBe(200);
    expect((await fetch(`${router.url.origin}/health`)).status).toBe(200);
  } finally {
    sockets.forEach((s) => s.destroy());
  }
});
