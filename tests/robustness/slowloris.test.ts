import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { loadConfigText } from "../../src/config";
import { createRuntime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { serve, type RunningServer } from "../../src/server/serve";
import { startMock, type MockUpstream } from "../mocks";

/**
 * Slow clients cannot exhaust the server: a body that trickles in (each byte restarting Bun's
 * idle timer) is cut off by the body deadline with a 408, while normal clients are served.
 */
let router: RunningServer;
let mock: MockUpstream;
const BODY_TIMEOUT_S = 0.5;

beforeAll(async () => {
  mock = await startMock("openai", { apiKey: "sk-slow" });
  const config = loadConfigText(
    `server_settings: { body_timeout: ${BODY_TIMEOUT_S} }
model_list:
  - { model_name: m, llm_params: { api_type: openai, model: up, api_base: "${mock.apiBase}", api_key: sk-slow } }
router_settings:
  model_groups: [{ name: g, models: [{ name: m }] }]
`,
    "slow.yaml",
    {},
  );
  router = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    { runtime: () => createRuntime(config), log: silentLogger },
  );
});
afterAll(async () => {
  await router.stop();
  await mock.stop();
});

test("100 connections trickling their bodies get 408 and are closed; normal requests are served meanwhile", async () => {
  const port = Number(router.url.port);
  const sockets: Socket[] = [];
  const outcomes = Array.from({ length: 100 }, () => {
    const sock = connect(port, "127.0.0.1");
    sockets.push(sock);
    sock.write(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    const drip = setInterval(() => sock.writable && sock.write(" "), 100);
    return new Promise<{ status: string; closed: boolean; ms: number }>((resolve) => {
      const t0 = performance.now();
      let status = "";
      sock.on("data", (d) => (status ||= d.toString().split("\r\n")[0]!));
      sock.on(
        "close",
        () => (clearInterval(drip), resolve({ status, closed: true, ms: performance.now() - t0 })),
      );
      sock.on("error", () => {});
      // Bound for the test itself: a connection still open after 5 s fails it below.
      setTimeout(
        () => (clearInterval(drip), resolve({ status, closed: false, ms: performance.now() - t0 })),
        5_000,
      );
    });
  });

  // Meanwhile, ordinary clients are answered promptly.
  const t0 = performance.now();
  const normal = await Promise.all(
    Array.from({ length: 10 }, () =>
      fetch(`${router.url.origin}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "g", messages: [{ role: "user", content: "hi" }] }),
      }).then((r) => r.status),
    ),
  );
  expect(normal.every((s) => s === 200)).toBe(true);
  expect(performance.now() - t0).toBeLessThan(2_000);

  const results = await Promise.all(outcomes);
  sockets.forEach((s) => s.destroy());
  for (const r of results) {
    expect(r.status).toBe("HTTP/1.1 408 Request Timeout");
  }
  // The server answered each within the deadline plus a margin (it does not wait for the body).
  expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(BODY_TIMEOUT_S * 1000 + 2_000);
});
