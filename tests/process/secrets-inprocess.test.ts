/**
 * The in-process counterpart of secrets.test.ts: the e2e harness's mocks and config, served by a
 * router with a trace-level logger (the harness's own uses silentLogger), driven by the official
 * SDKs through every client × upstream pair and the usual failures, with every log line captured
 * as the file sink would get it. No configured key and no token may appear in any of them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  captureLogs,
  configSecrets,
  createLogger,
  findSecrets,
  type LogCapture,
  type RouterLogger,
} from "../../src/log";
import { createMetricsEndpoint, Metrics } from "../../src/metrics";
import { serve, type RunningServer } from "../../src/server/serve";
import { DRIVERS } from "../e2e/clients-responses";
import { endCooldowns, startHarness, TOKEN, type Harness } from "../e2e/harness";
import { SDK_CLIENTS } from "../e2e/sdk-failures-responses";
import { closedPort } from "../helpers";

const WRONG = {
  bearer: "wrong-inproc-bearer-7d1f",
  xApiKey: "wrong-inproc-xapi-3c9a",
  googKey: "wrong-inproc-goog-5e2b",
  query: "wrong-inproc-query-8a4c",
};

let cap: LogCapture;
let h: Harness;
let log: RouterLogger;
let router: RunningServer;
let secrets: string[];

beforeAll(async () => {
  // Started first, so that nothing logged while the router comes up is missed.
  cap = captureLogs({ level: "trace" });
  const dead = `http://127.0.0.1:${await closedPort()}/v1`;
  h = await startHarness(
    `    - name: fo
      models: [{ name: dead, weight: 100 }, { name: oa, weight: 1 }]`,
    () => `  - model_name: dead
    llm_params: { api_type: openai, model: gone, api_base: "${dead}", api_key: sk-dead-inproc-key }`,
  );
  secrets = configSecrets(h.runtime.config, TOKEN);
  log = createLogger({ level: "trace", stderr: "off", secrets });
  const metrics = new Metrics();
  router = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: h.runtime.config.server.maxBodyBytes },
    {
      runtime: () => h.runtime,
      token: TOKEN,
      log,
      metrics,
      metricsEndpoint: createMetricsEndpoint(metrics, { token: TOKEN }),
    },
  );
});

afterAll(async () => {
  cap?.stop();
  await router?.stop();
  await log?.close();
  await h?.stop();
});

describe("secrets in the in-process router's logs at trace level", () => {
  test("the harness traffic through every SDK, with failures, logs no configured secret", async () => {
    const base = router.url.origin;
    const drivers = DRIVERS.map((d) => d.make(base));
    const groups = ["openai", "anthropic", "gemini", "responses", "mixed"];
    let answered = 0;
    for (const d of drivers) {
      for (const group of groups) {
        for (const stream of [false, true]) {
          const { outcome, followUp } = await d.ask({
            group,
            stream,
            system: "be brief",
            text: "weather in Paris?",
            tool: true,
          });
          if (outcome.toolCalls.length) await followUp("sunny");
          const plain = await d.ask({
            group,
            stream,
            text: "think first",
            think: group !== "openai",
          });
          expect(plain.outcome.text.length, `${d.name} → ${group}`).toBeGreaterThan(0);
          answered++;
        }
      }
    }
    expect(answered).toBe(drivers.length * groups.length * 2);

    // Failures as the SDKs see them: upstream errors, unknown groups, a dead model, a broken stream.
    for (const { format: kind, make } of SDK_CLIENTS) {
      const client = make(base);
      h.mocks[kind].fault({ kind: "status", status: 500 });
      expect((await client.fail(kind)).status).toBe(500);
      // `mixed` is served by the Anthropic mock, converted for every client but Anthropic's.
      h.mocks.anthropic.fault({ kind: "status", status: 429, headers: { "retry-after": "3" } });
      expect((await client.fail("mixed")).status).toBe(429);
      endCooldowns(h.runtime); // the 429's retry-after cooled the Anthropic model down
      expect((await client.fail("no-such-group")).status).toBe(404);
      h.mocks[kind].fault({ kind: "midstream-error", afterChunks: 1 });
      await client.stream(kind, "cut short");
    }
    const fo = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "fo", messages: [{ role: "user", content: "fail over" }] }),
    });
    expect(fo.status).toBe(200);
    expect(fo.headers.get("x-llm-router-attempts")).toBe("2");
    await fo.text();

    // Wrong tokens in each style the router accepts, and the metrics endpoint.
    const body = JSON.stringify({ model: "openai", messages: [{ role: "user", content: "hi" }] });
    const denied = await Promise.all([
      fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRONG.bearer}` },
        body,
      }),
      fetch(`${base}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": WRONG.xApiKey },
        body,
      }),
      fetch(`${base}/v1beta/models/gemini:generateContent`, {
        method: "POST",
        headers: { "x-goog-api-key": WRONG.googKey },
        body,
      }),
      fetch(`${base}/v1beta/models/gemini:generateContent?key=${WRONG.query}`, {
        method: "POST",
        body,
      }),
      fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${WRONG.bearer}` } }),
    ]);
    expect(denied.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    await Promise.all(denied.map((r) => r.text()));
    const scraped = await fetch(`${base}/metrics?key=${TOKEN}`);
    expect(scraped.status).toBe(200);
    await scraped.text();

    await log.flush();
    // Enough records that an empty result means redaction, not silence.
    expect(cap.lines.length).toBeGreaterThan(50);
    const records = cap.records();
    expect(records.filter((r) => r.msg === "request").length).toBeGreaterThan(40);
    expect(records.some((r) => r.msg === "attempt failed")).toBe(true);
    expect(records.some((r) => r.msg === "unauthorized request")).toBe(true);

    // Four mock keys, the dead model's key and the router token.
    expect(secrets.length).toBe(6);
    expect(findSecrets(cap.lines, secrets)).toEqual([]);
    expect(findSecrets(cap.lines, Object.values(WRONG))).toEqual([]);
  });
});
