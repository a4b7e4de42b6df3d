import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import type { MockKind } from "../mocks";
import { docBlock, ROOT } from "./blocks";

/**
 * The README's SDK snippets, run as written with the SDK versions this repository installs, with
 * only the address changed to a router in front of the strict mock upstreams (the groups `gpt`,
 * `claude` and `gemini`, as in the shipped config.yaml; the harness has `gemini` already) and the token in LLM_ROUTER_TOKEN.
 */

let h: Harness;
// Inside the repository, so the snippet's imports resolve from its node_modules.
const DIR = join(ROOT, "node_modules", ".cache", "readme-sdk");

beforeAll(async () => {
  h = await startHarness(
    `    - name: gpt
      models: [{ name: oa }]
    - name: claude
      models: [{ name: an }]`,
  );
  await mkdir(DIR, { recursive: true });
});
afterAll(async () => {
  await h.stop();
  await rm(DIR, { recursive: true, force: true });
});
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

async function run(id: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code } = docBlock(id);
  expect(code).toContain("http://localhost:8000");
  const file = join(DIR, `${id}.ts`);
  await writeFile(file, code.replaceAll("http://localhost:8000", h.base));
  const proc = Bun.spawn([process.execPath, file], {
    cwd: DIR,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LLM_ROUTER_TOKEN: TOKEN },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code: await proc.exited, stdout, stderr };
}

const cases: [id: string, upstream: MockKind][] = [
  ["sdk-openai", "openai"],
  ["sdk-anthropic", "anthropic"],
  ["sdk-google", "gemini"],
  // The AI SDK's provider speaks the Responses API; the `gpt` group converts it for a Chat upstream.
  ["sdk-ai-sdk", "openai"],
];

describe("the README's SDK snippets", () => {
  for (const [id, upstream] of cases) {
    test(`${id} gets an answer through the router from the ${upstream} upstream`, async () => {
      const ran = await run(id);
      expect(ran.stderr).toBe("");
      expect(ran.code).toBe(0);
      expect(ran.stdout.trim()).not.toBe("");
      expect(h.mocks[upstream].requests).toHaveLength(1);
    }, 30_000);
  }
});
