/**
 * Shared by the provider-recipe tests: one strict mock per provider, the README's provider blocks
 * pointed at them (only scheme and host change, so each mock still sees the provider's path), and
 * the router run on them as its own process.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonReport } from "../../src/check";
import {
  azure,
  dashscope,
  deepseek,
  moonshot,
  ollama,
  openrouter,
  startProvider,
  vllm,
  zhipuAnthropic,
  zhipuOpenAI,
  type ProviderMock,
} from "../mocks/providers";
import { docBlock, ROOT } from "./blocks";

export const KEYS = {
  DASHSCOPE_API_KEY: "sk-dashscope-recipe-0123456789abcdef",
  ZHIPU_API_KEY: "zhipu-recipe-0123456789abcdef.AbCdEf",
  DEEPSEEK_API_KEY: "sk-deepseek-recipe-0123456789abcdef",
  MOONSHOT_API_KEY: "sk-moonshot-recipe-0123456789abcdef",
  OPENROUTER_API_KEY: "sk-or-v1-recipe-0123456789abcdef",
  AZURE_OPENAI_API_KEY: "azure0recipe0123456789abcdef012345",
};

export type Mocks = Record<
  | "dashscope"
  | "zhipuOpenAI"
  | "zhipuAnthropic"
  | "deepseek"
  | "moonshot"
  | "openrouter"
  | "ollama"
  | "vllm"
  | "azure",
  ProviderMock
>;

/** As the recipes say to run them: vLLM with its tool flags, the others with the keys above. */
export function startMocks(): Mocks {
  return {
    dashscope: startProvider(dashscope(KEYS.DASHSCOPE_API_KEY)),
    zhipuOpenAI: startProvider(zhipuOpenAI(KEYS.ZHIPU_API_KEY)),
    zhipuAnthropic: startProvider(zhipuAnthropic(KEYS.ZHIPU_API_KEY)),
    deepseek: startProvider(deepseek(KEYS.DEEPSEEK_API_KEY)),
    moonshot: startProvider(moonshot(KEYS.MOONSHOT_API_KEY)),
    openrouter: startProvider(openrouter(KEYS.OPENROUTER_API_KEY)),
    ollama: startProvider(ollama()),
    vllm: startProvider(vllm({ autoToolChoice: true })),
    azure: startProvider(azure(KEYS.AZURE_OPENAI_API_KEY)),
  };
}

/**
 * The block's text with each api_base's scheme and host replaced by its mock's: the mock whose
 * profile serves that path. Everything else is the README's, byte for byte.
 */
function pointed(code: string, mocks: ProviderMock[]): string {
  return code.replace(/^(\s*api_base:\s*)https?:\/\/[^/\s]+(\S*)/gm, (_, lead, path) => {
    const mock = mocks.find((m) => m.profile.basePath === path);
    if (!mock) throw new Error(`no mock serves the api_base path "${path}"`);
    return lead + mock.origin + path;
  });
}

/** The README block with this id, pointed at the mocks. */
export const recipe = (id: string, ...mocks: ProviderMock[]) => pointed(docBlock(id).code, mocks);

export interface Lab {
  dir: string;
  /** Writes the config to a file of this lab; returns its path. */
  file(name: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createLab(name: string): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), `llm-router-${name}-`));
  return {
    dir,
    async file(file, text) {
      const path = join(dir, file);
      await writeFile(path, text);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

const MAIN = join(ROOT, "src/main.ts");

export interface Checked {
  code: number;
  report: JsonReport;
  stderr: string;
}

/**
 * `llm-router --check=stream,tools --json -c <file>` as its own process, with a clean
 * environment holding only the recipes' key variables. Killed if it outlives `killAfterMs`, so a
 * hang fails with what it printed.
 */
export async function runCheck(lab: Lab, config: string, killAfterMs = 30_000): Promise<Checked> {
  const file = await lab.file(`check-${Bun.hash(config).toString(16)}.yaml`, config);
  const proc = Bun.spawn(
    [process.execPath, MAIN, "--check=stream,tools", "--json", "--check-timeout", "10", "-c", file],
    {
      cwd: lab.dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: lab.dir, ...KEYS },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const timer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  let report: JsonReport;
  try {
    report = JSON.parse(stdout) as JsonReport;
  } catch {
    throw new Error(`--check printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
  }
  return { code, report, stderr };
}

/** Per model, per probe kind: [ok, note] as the report gives them. */
export function outcomes(report: JsonReport): Record<string, Record<string, [boolean, string?]>> {
  const out: Record<string, Record<string, [boolean, string?]>> = {};
  for (const r of report.results)
    out[r.model] = Object.fromEntries(
      r.probes.map((p) => [p.kind, p.note || p.error ? [p.ok, p.note ?? p.error] : [p.ok]]),
    );
  return out;
}
