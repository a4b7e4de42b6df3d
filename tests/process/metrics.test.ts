/**
 * /metrics of the running binary: guarded by the router token unless the config opens it, and
 * counting what the traffic really was — per format, group, model and status, failovers, and
 * in-flight calls that return to zero once streams end (completed or abandoned by the client).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { closedPort } from "../helpers";
import { startMock, type MockUpstream } from "../mocks";
import { parseExposition, series, value, type Exposition } from "../metrics/parse";
import {
  chat,
  configYaml,
  createLab,
  mockModel,
  modelYaml,
  ON_LINUX_X64,
  startSlowUpstream,
  waitFor,
  type Lab,
  type Running,
} from "./binary";

setDefaultTimeout(60_000);

const TOKEN = "metrics-router-token-4f2a";
let lab: Lab;
let oa: MockUpstream;
let an: MockUpstream;
let slow: ReturnType<typeof startSlowUpstream>;
let models: string[];
const groups = { gpt: ["oa"], claude: ["an"], slow: ["slowpoke"], fo: ["dead*100", "oa*1"] };

beforeAll(async () => {
  lab = await createLab("metrics");
  [oa, an] = await Promise.all([
    startMock("openai", { apiKey: "sk-metrics-openai-0123456789" }),
    startMock("anthropic", { apiKey: "sk-ant-metrics-0123456789" }),
  ]);
  // ~3 s of stream, so both are surely still in flight when scraped on a loaded machine.
  slow = startSlowUpstream(20, 150);
  models = [
    mockModel("oa", oa),
    mockModel("an", an),
    modelYaml("slowpoke", "openai", slow.apiBase, "sk-slow"),
    modelYaml("dead", "openai", `http://127.0.0.1:${await closedPort()}/v1`, "sk-dead"),
  ];
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await oa?.stop();
  await an?.stop();
  await slow?.stop();
});

async function startWith(name: string, server = ""): Promise<Running> {
  const dir = join(lab.dir, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, "config.yaml");
  await writeFile(file, configYaml(models, groups, server));
  return lab.start(["-c", file], { env: lab.env({ LLM_ROUTER_TOKEN: TOKEN }) });
}

async function scrape(r: Running): Promise<Exposition> {
  const res = await fetch(`${r.origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

const requests = (e: Exposition, format: string, group: string, model: string, status: number) =>
  value(e, "llm_router_requests_total", { format, group, model, status: String(status) });
const inFlight = (e: Exposition, model: string) =>
  value(e, "llm_router_in_flight_requests", { model });

describe.skipIf(!ON_LINUX_X64)("/metrics of the binary", () => {
  test("needs the router token unless metrics_public is set", async () => {
    const guarded = await startWith("guarded");
    const get = (r: Running, headers: Record<string, string> = {}) =>
      fetch(`${r.origin}/metrics`, { headers }).then(
        async (res) => [res.status, await res.text()] as const,
      );

    const [noToken, noTokenBody] = await get(guarded);
    expect(noToken).toBe(401);
    expect(noTokenBody).not.toContain("llm_router_");
    expect((await get(guarded, { authorization: "Bearer not-the-token" }))[0]).toBe(401);
    const [ok, body] = await get(guarded, { authorization: `Bearer ${TOKEN}` });
    expect(ok).toBe(200);
    expect(body).toContain("# TYPE llm_router_requests_total counter");
    // The API itself still wants the token, and /health never does.
    expect((await chat(guarded.origin, "gpt")).status).toBe(401);
    expect((await fetch(`${guarded.origin}/health`)).status).toBe(200);

    const open = await startWith("public", "  metrics_public: true");
    const [status, text] = await get(open);
    expect(status).toBe(200);
    parseExposition(text);
    // Opening the metrics opens nothing else.
    expect((await chat(open.origin, "gpt")).status).toBe(401);

    for (const r of [guarded, open]) r.signal("SIGTERM");
    expect(await Promise.all([guarded.exitWithin(10_000), open.exitWithin(10_000)])).toEqual([
      0, 0,
    ]);
  });

  test("after traffic: requests by format/group/model/status, failovers, in-flight back to 0", async () => {
    const r = await startWith("traffic");
    const drain = async (res: Promise<Response>) => {
      const done = await res;
      await done.text();
      return done.status;
    };
    const anthropic = (group: string) =>
      fetch(`${r.origin}/v1/messages`, {
        method: "POST",
        headers: {
          "x-api-key": TOKEN,
          "anthropic-version": "2023-06-01",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          model: group,
          max_tokens: 32,
          messages: [{ role: "user", content: "hi" }],
        }),
      });

    expect(await drain(chat(r.origin, "gpt", { token: TOKEN }))).toBe(200);
    expect(await drain(chat(r.origin, "gpt", { token: TOKEN, stream: true }))).toBe(200);
    expect(await drain(chat(r.origin, "claude", { token: TOKEN }))).toBe(200);
    expect(await drain(anthropic("claude"))).toBe(200);
    expect(await drain(anthropic("gpt"))).toBe(200);
    oa.fault({ kind: "status", status: 500 });
    expect(await drain(chat(r.origin, "gpt", { token: TOKEN }))).toBe(500);
    expect(await drain(chat(r.origin, "fo", { token: TOKEN }))).toBe(200);
    expect(await drain(chat(r.origin, "no-such-group", { token: TOKEN }))).toBe(404);
    // Refused before routing: not a request of any group.
    expect(await drain(chat(r.origin, "gpt", { token: "wrong" }))).toBe(401);

    // Two slow streams in flight, one read to its end and one abandoned halfway.
    const a = await chat(r.origin, "slow", { token: TOKEN, stream: true });
    const b = await chat(r.origin, "slow", { token: TOKEN, stream: true });
    const readerB = b.body!.getReader();
    await readerB.read();
    const during = await scrape(r);
    expect(inFlight(during, "slowpoke")).toBe(2);
    expect(inFlight(during, "oa")).toBe(0);
    await Bun.sleep(300);
    await readerB.cancel();
    expect(await a.text()).toContain("data: [DONE]");
    await waitFor(
      "in-flight calls to drain",
      async () => inFlight(await scrape(r), "slowpoke") === 0,
    );

    const e = await scrape(r);
    expect(requests(e, "openai", "gpt", "oa", 200)).toBe(2);
    expect(requests(e, "openai", "claude", "an", 200)).toBe(1);
    expect(requests(e, "anthropic", "claude", "an", 200)).toBe(1);
    expect(requests(e, "anthropic", "gpt", "oa", 200)).toBe(1);
    expect(requests(e, "openai", "gpt", "oa", 500)).toBe(1);
    expect(requests(e, "openai", "fo", "oa", 200)).toBe(1);
    expect(requests(e, "openai", "none", "none", 404)).toBe(1);
    // The completed stream counts as 200; the abandoned one is still a request that was answered.
    expect(requests(e, "openai", "slow", "slowpoke", 200)).toBe(2);
    expect(series(e, "llm_router_requests_total").filter((s) => s.labels.status === "401")).toEqual(
      [],
    );

    expect(value(e, "llm_router_failovers_total", { group: "fo", from: "dead", to: "oa" })).toBe(1);
    expect(
      value(e, "llm_router_upstream_attempts_total", { model: "dead", outcome: "retryable_error" }),
    ).toBe(1);
    expect(
      value(e, "llm_router_upstream_attempts_total", { model: "oa", outcome: "retryable_error" }),
    ).toBe(1);
    for (const s of series(e, "llm_router_in_flight_requests"))
      expect(s.value, s.labels.model).toBe(0);
    // Both failed models were penalised once.
    expect(value(e, "llm_router_effective_weight", { model: "dead" })).toBe(50);
    expect(value(e, "llm_router_effective_weight", { model: "an" })).toBe(100);

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
  });
});
