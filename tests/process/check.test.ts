/**
 * `--check` as the binary runs it: probes every model of the config against the strict mocks and
 * answers with the exit code (0 all answer, 1 a model failed, 2 the config is invalid), as a table
 * or as JSON, never printing a key.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JsonReport } from "../../src/check";
import { findSecrets } from "../../src/log";
import { startMock, type MockKind, type MockUpstream } from "../mocks";
import { configYaml, createLab, mockModel, ON_LINUX_X64, type Lab } from "./binary";

setDefaultTimeout(60_000);

const KEYS: Record<MockKind, string> = {
  openai: "sk-check-bin-openai-7a6b5c4d3e",
  anthropic: "sk-ant-check-bin-2f1e0d9c8b",
  gemini: "AIzaCheckBinGemini+key/5a4b3c2d",
  responses: "sk-check-bin-responses-1a2b3c4d5e",
};
const WRONG_KEY = "sk-check-bin-wrong-key-9z8y7x6w";
const KINDS: MockKind[] = ["openai", "anthropic", "gemini"];

let lab: Lab;
let mocks: Record<MockKind, MockUpstream>;

beforeAll(async () => {
  lab = await createLab("check");
  const started = await Promise.all(KINDS.map((k) => startMock(k, { apiKey: KEYS[k] })));
  mocks = Object.fromEntries(KINDS.map((k, i) => [k, started[i]!])) as Record<
    MockKind,
    MockUpstream
  >;
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await Promise.all(Object.values(mocks ?? {}).map((m) => m.stop()));
});

async function configFile(name: string, text: string): Promise<string> {
  const file = join(lab.dir, name);
  await writeFile(file, text);
  return file;
}

const allGood = () =>
  configYaml(
    KINDS.map((k) => mockModel(`${k}-good`, mocks[k])),
    { all: KINDS.map((k) => `${k}-good`) },
  );
const oneBad = () =>
  configYaml(
    [
      ...KINDS.map((k) => mockModel(`${k}-good`, mocks[k])),
      mockModel("anthropic-bad", mocks.anthropic, WRONG_KEY),
    ],
    { all: [...KINDS.map((k) => `${k}-good`), "anthropic-bad"] },
  );
const check = (file: string, ...flags: string[]) =>
  lab.run(["--check", "--check-timeout", "5", "-c", file, ...flags], { killAfterMs: 15_000 });
const noKeys = (out: { stdout: string; stderr: string }) =>
  expect(findSecrets([out.stdout, out.stderr], [...Object.values(KEYS), WRONG_KEY])).toEqual([]);

describe.skipIf(!ON_LINUX_X64)("--check of the binary", () => {
  test("exit 0 when every model answers; a table with one ok row per model", async () => {
    const out = await check(await configFile("good.yaml", allGood()));
    expect(out.code, out.stdout + out.stderr).toBe(0);
    for (const k of KINDS)
      expect(out.stdout).toMatch(
        new RegExp(`^${k}-good\\s+${k}\\s+127\\.0\\.0\\.1:\\d+\\s+ok\\s+200\\b`, "m"),
      );
    expect(out.stdout).toMatch(/^3 models: 3 ok, 0 failed \(/m);
    expect(out.stderr).toBe("");
    noKeys(out);
    // It probes; it does not serve.
    expect(out.stdout).not.toContain("listening on");
  });

  test("exit 1 when one model has a wrong key; the failure is named without the key", async () => {
    const out = await check(await configFile("bad.yaml", oneBad()));
    expect(out.code, out.stdout + out.stderr).toBe(1);
    expect(out.stdout).toMatch(/^anthropic-bad\s+anthropic\s+\S+\s+FAIL\s+401\b/m);
    expect(out.stdout).toMatch(/^4 models: 3 ok, 1 failed \(/m);
    noKeys(out);
  });

  test("exit 2 for an invalid config, pointing at file:line:col, probing nothing", async () => {
    const text = allGood().replace("api_type: gemini", "api_type: gemeni");
    const file = await configFile("invalid.yaml", text);
    const before = KINDS.map((k) => mocks[k].requests.length);
    const out = await check(file);
    expect(out.code).toBe(2);
    const line = text.split("\n").findIndex((l) => l.includes("gemeni")) + 1;
    expect(out.stdout).toContain(`${file}:${line}:`);
    expect(out.stdout).toContain("gemeni");
    expect(KINDS.map((k) => mocks[k].requests.length)).toEqual(before);
    noKeys(out);
  });

  test("--json: each outcome parses, with the same exit codes and no key", async () => {
    const good = await check(await configFile("good-json.yaml", allGood()), "--json");
    expect(good.code).toBe(0);
    const g = JSON.parse(good.stdout) as JsonReport;
    expect(g.ok).toBe(true);
    expect(g.config).toEqual({ valid: true, issues: [] });
    expect(g.results.map((r) => [r.model, r.ok])).toEqual(KINDS.map((k) => [`${k}-good`, true]));
    expect(g.summary).toMatchObject({ models: 3, ok: 3, failed: 0 });
    noKeys(good);

    const bad = await check(await configFile("bad-json.yaml", oneBad()), "--json");
    expect(bad.code).toBe(1);
    const b = JSON.parse(bad.stdout) as JsonReport;
    expect(b.ok).toBe(false);
    const failed = b.results.find((r) => r.model === "anthropic-bad")!;
    expect(failed.ok).toBe(false);
    expect(failed.probes[0]).toMatchObject({ kind: "basic", ok: false, status: 401 });
    expect(b.summary).toMatchObject({ models: 4, ok: 3, failed: 1 });
    noKeys(bad);

    const invalid = await check(
      await configFile(
        "invalid-json.yaml",
        allGood().replace("api_type: gemini", "api_type: gemeni"),
      ),
      "--json",
    );
    expect(invalid.code).toBe(2);
    const i = JSON.parse(invalid.stdout) as JsonReport;
    expect(i.ok).toBe(false);
    expect(i.config.valid).toBe(false);
    expect(i.config.issues[0]).toMatchObject({
      code: "SCHEMA",
      path: expect.stringContaining("api_type"),
      line: expect.any(Number),
      col: expect.any(Number),
    });
    noKeys(invalid);
  });
});
