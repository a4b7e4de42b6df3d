import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { loadConfigText } from "../../../src/config";
import { BodyBudget } from "../../../src/core/body-budget";
import { createRuntime } from "../../../src/core/runtime";
import { silentLogger } from "../../../src/log";
import { serve as serveRouter, type RunningServer } from "../../../src/server/serve";
import { startMock, type MockUpstream } from "../../mocks";
import { bigPng, PNG, startMediaServer, type MediaServer } from "./media-server";

/**
 * The request's downloads as the router runs them: held in the shared body budget while the
 * request is handled and given back after, and stopped when the client goes away.
 */

let router: RunningServer;
let gemini: MockUpstream;
let srv: MediaServer;
const bodies = new BodyBudget();

beforeAll(async () => {
  gemini = await startMock("gemini", { apiKey: "g-key" });
  srv = await startMediaServer();
  const config = loadConfigText(
    `server_settings:
  media: { allow_hosts: [127.0.0.1], timeout: 60 }   # far past the test timeout: only the abort can end a stalled download
model_list:
  - { model_name: ge, llm_params: { api_type: gemini, model: gemini-up, api_base: "${gemini.apiBase}", api_key: g-key } }
router_settings:
  model_groups: [{ name: g, models: [{ name: ge }] }]
`,
    "media.yaml",
    {},
  );
  router = serveRouter(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    { runtime: () => createRuntime(config), log: silentLogger, bodies },
  );
});
afterAll(async () => {
  await router.stop();
  await Promise.all([gemini.stop(), srv.stop()]);
});
beforeEach(() => {
  gemini.reset();
  srv.reset();
});

const ask = (url: string, signal?: AbortSignal) => {
  const body = JSON.stringify({
    model: "g",
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "what is this" },
          { type: "image_url", image_url: { url } },
        ],
      },
    ],
  });
  return {
    size: body.length,
    answer: fetch(`${router.url.origin}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal,
    }),
  };
};

test("downloaded bytes count in the body budget beside the body until the answer, then leave it", async () => {
  srv.route("/big.png", bigPng(300_000));
  let heldDuringCall = -1;
  gemini.respond(() => ((heldDuringCall = bodies.inUse), undefined));
  const { size, answer } = ask(`${srv.base}/big.png`);
  const res = await answer;
  expect(res.status).toBe(200);
  await res.text();
  expect(heldDuringCall).toBe(size + 300_000);
  expect(bodies.inUse).toBe(0);
});

test("a client that goes away stops the download it started", async () => {
  srv.route("/slow.png", (_req, res) => {
    res.writeHead(200, { "content-type": "image/png" });
    res.write(PNG.subarray(0, 20)); // and never more
  });
  const client = new AbortController();
  const { answer } = ask(`${srv.base}/slow.png`, client.signal);
  const settled = answer.catch((e: Error) => e);
  await srv.waitForRequests(1);
  client.abort();
  expect(await settled).toBeInstanceOf(Error);
  await srv.waitForClose(0);
  expect(gemini.requests).toHaveLength(0);
  // The request's body and partial download are given back once the router has let it go.
  for (let i = 0; bodies.inUse !== 0 && i < 500; i++) await Bun.sleep(10);
  expect(bodies.inUse).toBe(0);
});
