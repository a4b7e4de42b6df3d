/**
 * Fuzz: huge and odd bodies against `..`-walking selectors. Whatever a large body holds (dense
 * small values, deep nesting, long text, an agent conversation, all mixed), it decides for itself
 * only: no selector is quarantined, the worker is held for a time bounded by the body's size, and
 * the ordinary request after it is routed at once with the right answers.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { SelectorEngine, type SelectorOutcome } from "../../../src/balance/selectors/index";
import { QUARANTINE_MAX_BODY_BYTES } from "../../../src/balance/selectors/quarantine";
import { PARSE_MS_PER_MIB, SELECT_MS_PER_MIB } from "../../../src/balance/selectors/protocol";
import { FUZZ_SEED } from "../../robustness/kit";

setDefaultTimeout(120_000);

const RUNS = Number(process.env.FUZZ_SELECTOR_RUNS ?? 12);
const TIMEOUT_MS = 100;
const SOURCES = [
  '[.. | objects | select(.type == "image_url" or has("inlineData"))] | length > 0',
  "[paths] | length > 10",
  '.model == "auto"',
];
const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const ORDINARY = enc({
  model: "auto",
  messages: [
    {
      role: "user",
      content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }],
    },
  ],
});

type Kind = "dense" | "deep" | "text" | "agent" | "mixed";

/** A body of at least `bytes` of the given kind (padded with a string where it falls short). */
function hugeBody(kind: Kind, bytes: number, n: number): Uint8Array {
  const text = new TextDecoder().decode(shapedBody(kind, bytes, n));
  return enc(
    text.length >= bytes ? text : `{"pad":"${"p".repeat(bytes - text.length)}",${text.slice(1)}`,
  );
}

/** A body of about `bytes` of the given kind; `n` varies the content. */
function shapedBody(kind: Kind, bytes: number, n: number): Uint8Array {
  const count = (per: number) => Math.max(1, Math.floor(bytes / per));
  switch (kind) {
    case "dense":
      return enc({
        model: "auto",
        a: Array.from({ length: count(3) }, (_, i) =>
          i % 3 === 0 ? {} : i % 3 === 1 ? [] : i % 10,
        ),
      });
    case "deep": {
      // Past jq's parsing depth when large: an error for every selector, for this body only.
      const depth = Math.min(count(2), 20_000);
      return enc(`{"model":"auto","x":${"[".repeat(depth)}${n}${"]".repeat(depth)}}`);
    }
    case "text":
      return enc({
        model: "auto",
        messages: [{ role: "user", content: "word ".repeat(count(5)) }],
      });
    case "agent":
      return enc({
        model: "auto",
        messages: Array.from({ length: count(400) }, (_, i) =>
          i % 2
            ? { role: "tool", tool_call_id: `c${i}`, content: "result ".repeat(40 + (n % 20)) }
            : {
                role: "assistant",
                tool_calls: [
                  { id: `c${i}`, type: "function", function: { name: "f", arguments: "{}" } },
                ],
              },
        ),
      });
    case "mixed":
      return enc({
        model: "auto",
        pad: "x".repeat(Math.floor(bytes / 2)),
        a: Array.from({ length: count(12) }, (_, i) => ({
          type: i % 7 ? "text" : "image_url",
          v: [i],
        })),
      });
  }
}

let engine: SelectorEngine;
const logs: string[] = [];
beforeAll(async () => {
  engine = await SelectorEngine.create([{ group: "auto", sources: SOURCES }], {
    timeoutMs: TIMEOUT_MS,
    log: (level, msg) => logs.push(`${level} ${msg}`),
  });
});
afterAll(() => engine.close());

test(`${RUNS} huge bodies: each decides for itself only, in time bounded by its size`, async () => {
  const seen: string[] = [];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Kind>("dense", "deep", "text", "agent", "mixed"),
      fc.integer({ min: QUARANTINE_MAX_BODY_BYTES + 1, max: 3 * 1024 * 1024 }),
      fc.nat(1000),
      async (kind, bytes, n) => {
        const body = hugeBody(kind, bytes, n);
        const started = performance.now();
        const outcomes = await engine.evaluate("auto", body, "openai");
        const took = performance.now() - started;
        seen.push(
          `${kind} ${(body.length / 1024).toFixed(0)} KiB: ${outcomes.join(",")} in ${took.toFixed(0)} ms`,
        );
        for (const o of outcomes)
          expect<SelectorOutcome[]>(["match", "no_match", "error", "timeout"]).toContain(o);
        // Parsing and the shared allowance, a deadline per selector, a re-parse per pass cut short,
        // and slack for a loaded machine: linear in the size, whatever the body holds.
        const mib = body.length / 1048576;
        const bound =
          SOURCES.length * (TIMEOUT_MS + mib * PARSE_MS_PER_MIB) + mib * SELECT_MS_PER_MIB + 3_000;
        expect(took).toBeLessThan(bound);
        expect(engine.stats().quarantined).toEqual([]);
        expect(await engine.evaluate("auto", ORDINARY, "openai")).toEqual([
          "match",
          "no_match",
          "match",
        ]);
      },
    ),
    { numRuns: RUNS, seed: FUZZ_SEED, endOnFailure: true },
  );
  console.log(seen.join("\n"));
  expect(logs.filter((l) => l.includes("quarantined"))).toEqual([]);
});
