#!/usr/bin/env bun
/**
 * Cost of jq selectors per request: p50 of SelectorEngine.evaluate() for a group of 10 typical selectors,
 * at 1 KB, 100 KB and 1 MB bodies, one request at a time. Targets: ≤ 0.5 / 3 / 15 ms.
 *
 * Baselines measured in the same run, for ratios that survive a noisy machine:
 *   json  JSON.parse of the same body on the main thread (what any router pays to look at a body)
 *   rt    a worker round trip with a single `true` selector (hand-off + jq's parse of the body)
 *
 *   bun bench/selectors.ts [--quick]
 */
import { SelectorEngine } from "../src/balance/selectors/index";

const SELECTORS = [
  '.model == "gpt-4o"',
  ".messages | length > 2",
  '$format == "openai"',
  ".stream == true",
  "(.max_tokens // 0) > 1000",
  '[.messages[] | select(.role == "system")] | length > 0',
  '.model | test("^gpt")',
  "(.tools // []) | length > 0",
  '$group == "bench"',
  ".temperature < 0.5",
];

const quick = process.argv.includes("--quick");
const SIZES = [
  { label: "1 KB", bytes: 1024, iterations: quick ? 300 : 3000 },
  { label: "100 KB", bytes: 100 * 1024, iterations: quick ? 60 : 600 },
  { label: "1 MB", bytes: 1024 * 1024, iterations: quick ? 15 : 120 },
];

/** An OpenAI chat request of exactly `bytes` bytes, its size in the message texts like real traffic. */
function body(bytes: number): Uint8Array {
  const turns = Math.max(2, Math.ceil(bytes / 4000));
  const shell = {
    model: "gpt-4o",
    stream: true,
    max_tokens: 2000,
    temperature: 0.2,
    messages: [{ role: "system", content: "You are terse." }],
  };
  for (let i = 0; i < turns; i++)
    shell.messages.push({ role: i % 2 ? "assistant" : "user", content: "" });
  const room = bytes - JSON.stringify(shell).length;
  if (room < 0) throw new Error(`body of ${bytes} bytes is too small for the shell`);
  const text = "lorem ipsum dolor ".repeat(Math.ceil(room / 18) + 1);
  shell.messages
    .slice(1)
    .forEach(
      (m, i) =>
        (m.content = text.slice(0, Math.floor(room / turns) + (i === 0 ? room % turns : 0))),
    );
  return new TextEncoder().encode(JSON.stringify(shell));
}

async function p50(iterations: number, fn: () => unknown): Promise<number> {
  const warm = Math.max(5, iterations / 10);
  for (let i = 0; i < warm; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

const engine = await SelectorEngine.create([
  { group: "bench", sources: SELECTORS },
  { group: "rt", sources: ["true"] },
]);
try {
  const TARGET: Record<string, number> = { "1 KB": 0.5, "100 KB": 3, "1 MB": 15 };
  console.log("size     bytes     10 selectors  target   json.parse  ratio   round trip  ratio");
  for (const { label, bytes, iterations } of SIZES) {
    const b = body(bytes);
    const text = new TextDecoder().decode(b);
    const check = await engine.evaluate("bench", b, "openai");
    if (check.some((o) => o !== "match" && o !== "no_match"))
      throw new Error(`bench selectors failed: ${check.join(",")}`);
    const json = await p50(iterations, () => JSON.parse(text));
    const rt = await p50(iterations, () => engine.evaluate("rt", b, "openai"));
    const ten = await p50(iterations, () => engine.evaluate("bench", b, "openai"));
    const row = [
      label.padEnd(8),
      String(b.length).padStart(8),
      `${ten.toFixed(3)} ms`.padStart(13),
      `${TARGET[label]} ms`.padStart(8),
      `${json.toFixed(4)} ms`.padStart(12),
      `${(ten / json).toFixed(1)}×`.padStart(7),
      `${rt.toFixed(3)} ms`.padStart(12),
      `${(ten / rt).toFixed(2)}×`.padStart(7),
    ];
    console.log(row.join(" ") + (ten > TARGET[label]! ? "   OVER TARGET" : ""));
  }
  console.log(JSON.stringify(engine.stats()));
} finally {
  await engine.close();
}
