import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMock, type MockUpstream } from "../mocks";
import { waitFor } from "../process/binary";
import { ADMIN, ask, startRouter, usageOf, type RouterProcess } from "./teams/kit";

/**
 * Key state without Redis, in real processes: `--workers` shares one set of counters through
 * the supervisor (each worker enforces the key's whole limit, not a share of it), and spend
 * kept in `state_file` survives a restart.
 */

const RPM5 = "sk-rpm5-0123456789abcdef";
const SPENDER = "sk-spender-0123456789abcdef";

let dir: string;
let mock: MockUpstream;
const running: RouterProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "llm-router-teams-processes-"));
  mock = await startMock("openai");
  mock.respond(() => ({ usage: { input: 1000, output: 500 } }));
  await writeFile(
    join(dir, "config.yaml"),
    `keys:
  - { name: rpm5, secret: ${RPM5}, rpm: 5 }
  - { name: spender, secret: ${SPENDER} }
model_list:
  - model_name: oa
    llm_params:
      api_type: openai
      model: gpt-upstream
      api_base: ${mock.apiBase}
      api_key: ${mock.apiKey}
      pricing: { input: 2, output: 8 }
router_settings:
  state_file: spend.db
  model_groups:
    - name: g
      models: [{ name: oa }]
`,
  );
});

afterAll(async () => {
  for (const r of running) if (r.proc.code === null) r.proc.signal("SIGKILL");
  await Promise.all(running.map((r) => r.proc.exited));
  await mock?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(args: string[] = []): Promise<RouterProcess> {
  const r = await startRouter(join(dir, "config.yaml"), dir, args);
  running.push(r);
  return r;
}

describe("key state in real processes, without Redis", () => {
  test("--workers 2: a key with rpm 5 gets 5 answers of 30 however connections spread", async () => {
    const r = await start(["--workers", "2"]);
    expect(r.proc.stdout.lines()[0]).toContain(
      "2 workers sharing key limits through the supervisor",
    );
    // A connection of its own per request, so the kernel spreads them over both workers.
    const results = await Promise.all(
      Array.from({ length: 30 }, () => ask(r.origin, RPM5, "g", true)),
    );
    const ok = results.filter((x) => x.status === 200).length;
    console.log(`--workers 2, rpm 5: ${ok} served of 30`);
    expect(ok).toBe(5);
    expect(results.filter((x) => x.status === 429).length).toBe(25);
    // Every request, served or refused, has its request line naming the key.
    await waitFor("30 request lines", () => {
      const l = r.proc.stderrRecords().filter((x) => x.msg === "request" && x.key === "rpm5");
      return l.length === 30 ? l : undefined;
    });
    expect(await r.stop()).toBe(0);
  });

  test("state_file: spend survives a restart", async () => {
    const first = await start();
    expect(first.proc.stdout.lines()[0]).toContain(`spend kept in ${join(dir, "spend.db")}`);
    for (let i = 0; i < 3; i++) expect((await ask(first.origin, SPENDER, "g")).status).toBe(200);
    const before = (await usageOf(first.origin, SPENDER)).keys[0];
    // 1000 input at $2 and 500 output at $8 per million: $0.006 an answer.
    expect(before.current.requests).toBe(3);
    expect(before.current.usd).toBeCloseTo(0.018, 9);
    expect(await first.stop()).toBe(0);

    const second = await start();
    const after = (await usageOf(second.origin, ADMIN)).keys.find(
      (k: { key: string }) => k.key === "spender",
    );
    expect(after.current.requests).toBe(3);
    expect(after.current.usd).toBeCloseTo(0.018, 9);
    expect(after.current.groups.g.models.oa.tokens).toEqual({
      input: 3000,
      output: 1500,
      cache_read: 0,
      cache_write: 0,
      reasoning: 0,
    });
    expect(await second.stop()).toBe(0);
  });
});
