/**
 * `npm run check`: the checks that guard the code's layout and style, one after another, each
 * timed. Every step runs even after one fails, so one run shows every finding; the exit code is 1
 * when any step failed, and the closing summary names the failed steps.
 *
 *   bun scripts/check.ts [step…]     (steps: typecheck format layers format-literals vocabulary knip)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
const bun = (script: string) => [process.execPath, join(ROOT, "scripts", script)];

const STEPS: { name: string; what: string; argv: string[] }[] = [
  { name: "typecheck", what: "tsc --noEmit", argv: [bin("tsc"), "--noEmit"] },
  { name: "format", what: "prettier --check .", argv: [bin("prettier"), "--check", "."] },
  { name: "layers", what: "import layering and cycles", argv: bun("check-layers.ts") },
  {
    name: "format-literals",
    what: "no format id named outside src/wire/",
    argv: bun("check-format-literals.ts"),
  },
  {
    name: "vocabulary",
    what: "the same files and exports in every format folder",
    argv: bun("check-vocabulary.ts"),
  },
  { name: "knip", what: "unused files, exports, types and dependencies", argv: [bin("knip")] },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !STEPS.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(`unknown step ${unknown.join(", ")}; steps: ${STEPS.map((s) => s.name).join(" ")}`);
  process.exit(2);
}

const results: { name: string; ok: boolean; seconds: number }[] = [];
for (const step of STEPS.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  console.log(`\n== ${step.name}: ${step.what}`);
  const started = performance.now();
  let ok: boolean;
  if (!existsSync(step.argv[0]!)) {
    console.log(`${step.argv[0]} is missing: run npm install`);
    ok = false;
  } else {
    const child = Bun.spawn(step.argv, { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    ok = (await child.exited) === 0;
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ name: step.name, ok, seconds });
  console.log(`== ${step.name}: ${ok ? "ok" : "FAILED"} in ${seconds.toFixed(1)} s`);
}

console.log("\n== check summary");
for (const r of results) {
  console.log(`${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(16)} ${r.seconds.toFixed(1)} s`);
}
const failed = results.filter((r) => !r.ok).map((r) => r.name);
const total = results.reduce((sum, r) => sum + r.seconds, 0);
console.log(
  failed.length === 0
    ? `all ${results.length} checks passed in ${total.toFixed(1)} s`
    : `failed: ${failed.join(", ")} (${total.toFixed(1)} s)`,
);
process.exit(failed.length === 0 ? 0 : 1);
