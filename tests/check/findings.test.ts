/**
 * `--check` warnings: keys without limits and an open router on a public address, models without
 * pricing, and the loader's own warnings; in the table and in JSON, never failing the check.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheck, runCheckFile, type JsonReport } from "../../src/check";
import { configFindings } from "../../src/check/findings";
import { loadConfigText } from "../../src/config";
import { capture, startMocks, tableRows, type Mocks } from "./fixture";

const SECRET = (n: number) => `sk-llmr-findings-${n}-0123456789abcdef`;

/** Two models (one priced), and `keys` from line 16 on. */
const configText = (base: string, keys = "") => `model_list:
  - model_name: priced
    llm_params:
      api_type: openai
      model: openai-upstream
      api_base: ${base}
      pricing: { input: 1, output: 2 }
  - model_name: free
    llm_params:
      api_type: openai
      model: openai-upstream
      api_base: ${base}
router_settings:
  model_groups:
    - { name: all, models: [{ name: priced }, { name: free }] }
${keys}`;

const LIMITED_AND_NOT = `keys:
  - { name: capped, secret: ${SECRET(1)}, budget: { usd: 5, period: day } }
  - { name: open, secret: ${SECRET(2)} }
  - { name: slow, secret: ${SECRET(3)}, rpm: 10 }
`;

const dir = mkdtempSync(join(tmpdir(), "llm-router-findings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("configFindings", () => {
  const base = "http://127.0.0.1:9/v1";
  const codes = (f: { code: string }[]) => f.map((x) => x.code);

  test("on a public address: each key without any limit, and each model without pricing", () => {
    const config = loadConfigText(configText(base, LIMITED_AND_NOT), "c.yaml", {});
    expect(configFindings(config, { ip: "0.0.0.0" })).toEqual([
      {
        code: "NO_LIMITS",
        path: "keys[1]",
        pos: { line: 18, col: 5 },
        message:
          'key "open" has no rpm, tpm, max_parallel or budget: with -i 0.0.0.0, whoever holds it can use the upstreams without limit',
      },
      {
        code: "NO_PRICING",
        path: "model_list[1].llm_params",
        message: 'model "free" has no pricing: it costs 0 in spend and budgets',
      },
    ]);
  });

  test("on loopback, or with no address known, keys and access are not findings", () => {
    const config = loadConfigText(configText(base, LIMITED_AND_NOT), "c.yaml", {});
    for (const ip of ["127.0.0.1", "::1", "localhost"])
      expect(codes(configFindings(config, { ip }))).toEqual(["NO_PRICING"]);
    expect(codes(configFindings(config))).toEqual(["NO_PRICING"]);
  });

  test("no keys and no token on a public address is an open router; a token closes it", () => {
    const config = loadConfigText(configText(base), "c.yaml", {});
    const [open] = configFindings(config, { ip: "10.0.0.5" });
    expect(open).toEqual({
      code: "OPEN_ACCESS",
      path: "",
      message:
        "no keys and no token (-t or LLM_ROUTER_TOKEN) with -i 10.0.0.5: anyone who can reach the port can use your API keys",
    });
    const closed = configFindings(config, { ip: "10.0.0.5", token: "a-router-token-0123456789" });
    expect(codes(closed)).toEqual(["NO_PRICING"]);
  });

  test("a key from the keys file is found in that file, and the loader's warnings come first", () => {
    const keysFile = join(dir, "keys.yaml");
    writeFileSync(keysFile, `- name: from-file\n  secret: ${SECRET(4)}\n`);
    const text = configText(base, `keys_file: keys.yaml\nunknown_setting: 1\n`);
    const config = loadConfigText(text, join(dir, "config.yaml"), {});
    const found = configFindings(config, { ip: "0.0.0.0" });
    expect(codes(found)).toEqual(["UNKNOWN_KEY", "NO_LIMITS", "NO_PRICING"]);
    expect(found[1]).toMatchObject({ file: keysFile, path: "keys[0]", pos: { line: 1, col: 3 } });
  });
});

describe("--check reports its findings as warnings", () => {
  let m: Mocks;
  beforeAll(async () => (m = await startMocks()));
  afterAll(async () => Promise.all(Object.values(m).map((x) => x.stop())));

  const config = () =>
    loadConfigText(
      configText(m.openai.apiBase, LIMITED_AND_NOT).replaceAll(
        "      api_base:",
        `      api_key: ${m.openai.apiKey}\n      api_base:`,
      ),
      "/etc/llm-router/config.yaml",
      {},
    );

  test("in the table: between the rows and the summary, which stays the last line; exit 0", async () => {
    const { code, out } = await capture((o) => runCheck(config(), o), {
      listen: { ip: "0.0.0.0" },
    });
    expect(code).toBe(0);
    expect(tableRows(out).map((r) => [r[0], r[3]])).toEqual([
      ["priced", "ok"],
      ["free", "ok"],
    ]);
    const lines = out.trimEnd().split("\n");
    expect(lines.slice(-5)).toEqual([
      "",
      'warning: /etc/llm-router/config.yaml:20:5: keys[1]: key "open" has no rpm, tpm, max_parallel or budget: with -i 0.0.0.0, whoever holds it can use the upstreams without limit [NO_LIMITS]',
      'warning: /etc/llm-router/config.yaml: model_list[1].llm_params: model "free" has no pricing: it costs 0 in spend and budgets [NO_PRICING]',
      "",
      expect.stringMatching(/^2 models: 2 ok, 0 failed/),
    ]);
    for (const n of [1, 2, 3]) expect(out).not.toContain(SECRET(n));
  });

  test("in JSON: a warnings list beside the results", async () => {
    const { code, out } = await capture((o) => runCheck(config(), o), {
      json: true,
      listen: { ip: "0.0.0.0" },
    });
    expect(code).toBe(0);
    const report = JSON.parse(out) as JsonReport;
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([
      {
        code: "NO_LIMITS",
        path: "keys[1]",
        line: 20,
        col: 5,
        message: expect.stringContaining('key "open" has no rpm'),
      },
      {
        code: "NO_PRICING",
        path: "model_list[1].llm_params",
        message: 'model "free" has no pricing: it costs 0 in spend and budgets',
      },
    ]);
  });

  test("an invalid keys file makes the config invalid; its issues name the keys file", async () => {
    const keysFile = join(dir, "bad-keys.yaml");
    writeFileSync(keysFile, `- { name: a, secret: ${SECRET(5)}, rpm: 0 }\n`);
    const file = join(dir, "bad.yaml");
    writeFileSync(file, configText(m.openai.apiBase, "keys_file: bad-keys.yaml\n"));
    const before = m.openai.requests.length;
    const { code, out } = await capture((o) => runCheckFile(file, {}, o), { json: true });
    expect(code).toBe(2);
    const report = JSON.parse(out) as JsonReport;
    expect(report.config.issues).toEqual([
      {
        code: "SCHEMA",
        file: keysFile,
        path: "[0].rpm",
        line: 1,
        col: expect.any(Number),
        message: "expected a positive integer, got the number 0",
      },
    ]);
    expect(report.warnings).toEqual([]);
    expect(m.openai.requests).toHaveLength(before);
  });
});
