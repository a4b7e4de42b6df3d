/**
 * The engine inside a `bun build --compile` executable, built the way build.ts builds (worker.ts as an
 * extra entry point, the wasm embedded as a file asset) and run from another directory.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../../..");
const out = mkdtempSync(join(tmpdir(), "selectors-compiled-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// A virtual entry inside the repository, so the entry points' common folder is a real project folder.
const ENTRY = join(ROOT, "tests/balance/selectors/__compiled_app.ts");
const APP = `
  import { SelectorEngine, checkSelector } from "../../../src/balance/selectors/index.ts";
  const check = await checkSelector(".a[");
  const e = await SelectorEngine.create([{ group: "g", sources: [".a == 1", "def f: f; f", "$format == \\"gemini\\""] }], { timeoutMs: 50 });
  const first = await e.evaluate("g", new TextEncoder().encode('{"a":1}'), "gemini");
  // Nothing else matches: the quarantined loop is asked after all, and runs out of time again.
  const second = await e.evaluate("g", new TextEncoder().encode('{"a":2}'), "openai");
  await e.close();
  console.log(JSON.stringify({ check: check.ok, first, second, exitCode: process.exitCode ?? null }));
`;

test("a compiled executable evaluates selectors, stops a looping one, and exits", async () => {
  const outfile = join(out, "app");
  const built = await Bun.build({
    entrypoints: [ENTRY, join(ROOT, "src/balance/selectors/worker.ts")],
    files: { [ENTRY]: APP },
    target: "bun",
    compile: { outfile, autoloadBunfig: false, autoloadDotenv: false },
    minify: { whitespace: true, syntax: true, identifiers: false },
    throw: false,
  } as Parameters<typeof Bun.build>[0]);
  expect(built.logs.map(String)).toEqual([]);
  expect(built.success).toBe(true);
  const run = Bun.spawn([outfile], { cwd: tmpdir(), stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => run.kill(), 15_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ]);
  clearTimeout(timer);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({
    check: false,
    first: ["match", "timeout", "match"],
    second: ["no_match", "timeout", "no_match"],
    exitCode: null,
  });
}, 60_000);
