/**
 * 100,000 evaluations in one process without a failure: every answer checked against the same
 * selectors computed in JavaScript, with a malformed body mixed in now and then. (~6–15 s here.)
 */
import { expect, test } from "bun:test";
import { SelectorEngine, type SelectorOutcome } from "../../../src/balance/selectors/index";

interface Body {
  model: string;
  stream?: boolean;
  max_tokens?: number;
  messages: { role: string; content: string }[];
}

/** Each selector next to what it computes, so any misaligned or corrupted answer shows. */
const SELECTORS: [string, (b: Body, format: string) => boolean][] = [
  ['.model == "gpt-4o"', (b) => b.model === "gpt-4o"],
  [".messages | length > 2", (b) => b.messages.length > 2],
  ['$format == "anthropic"', (_b, f) => f === "anthropic"],
  [".stream == true", (b) => b.stream === true],
  ["(.max_tokens // 0) > 1000", (b) => (b.max_tokens ?? 0) > 1000],
  ['any(.messages[]; .role == "system")', (b) => b.messages.some((m) => m.role === "system")],
  ['.model | test("^claude")', (b) => b.model.startsWith("claude")],
  [
    "[.messages[].content | length] | add > 500",
    (b) => b.messages.reduce((n, m) => n + m.content.length, 0) > 500,
  ],
  ['$group == "soak"', () => true],
  [
    '.messages[-1].content | contains("?")',
    (b) => b.messages[b.messages.length - 1]!.content.includes("?"),
  ],
];
const MODELS = ["gpt-4o", "claude-haiku", "gemini-pro", "gpt-4o-mini"];
const FORMATS = ["openai", "anthropic", "gemini"] as const;
const TOTAL = 100_000;
const LANES = 4;

function makeBody(i: number): Body {
  const messages = Array.from({ length: 1 + (i % 5) }, (_, k) => ({
    role: k === 0 && i % 3 === 0 ? "system" : "user",
    content: "word ".repeat((i * 7 + k) % 200) + (i % 4 ? "?" : "."),
  }));
  const body: Body = { model: MODELS[i % MODELS.length]!, messages };
  if (i % 2) body.stream = i % 4 === 1;
  if (i % 3) body.max_tokens = (i * 37) % 4000;
  return body;
}

test(`${TOTAL} evaluations without a failure`, async () => {
  // Deadlines are not what this checks: a worker thread descheduled past 100 ms on a loaded machine
  // would count as a timeout and differ from the expected answer.
  const engine = await SelectorEngine.create(
    [{ group: "soak", sources: SELECTORS.map(([s]) => s) }],
    { timeoutMs: 2_000 },
  );
  const enc = new TextEncoder();
  // A few hundred distinct bodies, encoded once: the cost measured is the engine's.
  const bodies = Array.from({ length: 240 }, (_, i) => makeBody(i));
  const encoded = bodies.map((b) => enc.encode(JSON.stringify(b)));
  const expected = bodies.map((b) =>
    FORMATS.map((f) =>
      SELECTORS.map(([, fn]): SelectorOutcome => (fn(b, f) ? "match" : "no_match")).join(),
    ),
  );
  const broken = enc.encode('{"model": "gpt-4o", "messages": [');
  const allErrors = SELECTORS.map(() => "error").join();
  let next = 0;
  const failures: string[] = [];
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < TOTAL) {
          const i = next++;
          const malformed = i % 997 === 0;
          const format = FORMATS[i % FORMATS.length]!;
          const got = (
            await engine.evaluate("soak", malformed ? broken : encoded[i % encoded.length]!, format)
          ).join();
          const want = malformed ? allErrors : expected[i % encoded.length]![i % FORMATS.length]!;
          if (got !== want && failures.length < 5) failures.push(`#${i}: got ${got}, want ${want}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`${TOTAL} evaluations in ${seconds.toFixed(1)} s`);
    expect(failures).toEqual([]);
    const stats = engine.stats();
    expect(stats).toMatchObject({ evaluations: TOTAL, timeouts: 0, restarts: 0, quarantined: [] });
    expect(stats.errors).toBe(Math.ceil(TOTAL / 997) * SELECTORS.length);
    expect(process.exitCode).toBeUndefined();
  } finally {
    await engine.close();
  }
}, 120_000);
