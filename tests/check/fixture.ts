// Mocks and configs for the --check tests: one good model per format, plus the classic ways a
// model is broken (wrong key, nothing listening, no key at all).
import { loadConfigText, type RouterConfig } from "../../src/config";
import type { CheckOptions } from "../../src/check";
import { closedPort } from "../helpers";
import { startMock, type MockKind, type MockUpstream } from "../mocks";

export const WRONG_KEY = "sk-wrong-key-0123456789abcdefXYZ";
export type Mocks = Record<MockKind, MockUpstream>;

export async function startMocks(): Promise<Mocks> {
  const [openai, anthropic, gemini, responses] = await Promise.all([
    startMock("openai", { apiKey: "sk-check-openai-key-0123456789" }),
    startMock("anthropic", { apiKey: "sk-ant-check-key-0123456789" }),
    startMock("gemini", { apiKey: "AIzaCheckGeminiKey0123456789abcdef" }),
    startMock("responses", { apiKey: "sk-check-responses-key-0123456789" }),
  ]);
  return { openai, anthropic, gemini, responses };
}

export interface ModelSpec {
  name: string;
  kind: MockKind;
  base: string;
  key?: string;
  extra?: string;
}

export const good = (m: Mocks, kind: MockKind, name = `${kind}-good`): ModelSpec => ({
  name,
  kind,
  base: m[kind].apiBase,
  key: m[kind].apiKey,
});

export function configOf(models: ModelSpec[]): RouterConfig {
  const entries = models.map(
    (s) => `
  - model_name: ${s.name}
    llm_params:
      api_type: ${s.kind}
      model: ${s.kind}-upstream
      api_base: ${s.base}${s.key === undefined ? "" : `\n      api_key: ${s.key}`}${s.extra ?? ""}`,
  );
  const yaml = `model_list:${entries.join("")}
router_settings:
  model_groups:
    - name: all
      models: [${models.map((s) => `{ name: ${s.name} }`).join(", ")}]
`;
  return loadConfigText(yaml, "check.yaml", {});
}

/** The standard mix: three good models, a wrong key, a closed port and a missing key. */
export async function mixedConfig(m: Mocks): Promise<RouterConfig> {
  const port = await closedPort();
  return configOf([
    good(m, "openai"),
    good(m, "anthropic"),
    good(m, "gemini"),
    { name: "openai-wrong-key", kind: "openai", base: m.openai.apiBase, key: WRONG_KEY },
    {
      name: "anthropic-closed",
      kind: "anthropic",
      base: `http://127.0.0.1:${port}`,
      key: m.anthropic.apiKey,
    },
    { name: "gemini-no-key", kind: "gemini", base: m.gemini.apiBase },
  ]);
}

export function keysOf(config: RouterConfig): string[] {
  return [...config.models.values()].map((m) => m.apiKey).filter(Boolean);
}

/** Runs with output captured; everything defaults to a fast, colourless, human report. */
export async function capture(
  run: (opts: CheckOptions) => Promise<number>,
  over: Partial<CheckOptions> = {},
): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await run({
    kinds: ["basic"],
    json: false,
    timeoutMs: 5_000,
    concurrency: 8,
    color: false,
    out: (s) => (out += s),
    ...over,
  });
  return { code, out };
}

/** The table's data rows as arrays of cells (cells are separated by two or more spaces). */
export function tableRows(out: string): string[][] {
  const lines = out.split("\n");
  const end = lines.indexOf("");
  return lines.slice(1, end).map((l) => l.split(/ {2,}/));
}
