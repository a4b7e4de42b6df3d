import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { JsonStringRewriter } from "../../../src/wire/json/string-rewriter";
import { LineCap } from "../../../src/wire/sse/line-cap";

const enc = new TextEncoder();

/** Feeds `text` cut at `cuts` to a fresh LineCap; whether it ever reported a line past `max`. */
function overAt(text: string, max: number, cuts: number[]): boolean {
  const bytes = enc.encode(text);
  const cap = new LineCap(max);
  const at = [
    0,
    ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b),
    bytes.length,
  ];
  let over = false;
  for (let i = 0; i + 1 < at.length; i++) over ||= cap.over(bytes.subarray(at[i], at[i + 1]));
  return over;
}

/** The longest line of `text` in bytes, up to its LF (a CR before it counts: the text has no lone CRs). */
function longestLine(text: string): number {
  return Math.max(...text.split("\n").map((l) => enc.encode(l).length));
}

describe("LineCap", () => {
  test("many short lines never pass the cap, however much they add up to", () => {
    const cap = new LineCap(100);
    const line = enc.encode("data: " + "x".repeat(80) + "\n");
    for (let i = 0; i < 10_000; i++) expect(cap.over(line)).toBe(false);
  });

  test("a line split over many reads is measured across them", () => {
    const cap = new LineCap(100);
    expect(cap.over(enc.encode("data: ok\n\ndata: "))).toBe(false);
    for (let i = 0; i < 9; i++) expect(cap.over(enc.encode("x".repeat(10)))).toBe(false);
    expect(cap.over(enc.encode("x".repeat(10)))).toBe(true);
  });

  test("a line that ends in the read that takes it past the cap is caught too", () => {
    const cap = new LineCap(100);
    expect(cap.over(enc.encode("data: " + "x".repeat(90)))).toBe(false);
    expect(cap.over(enc.encode("x".repeat(20) + "\n\ndata: short\n\n"))).toBe(true);
  });

  test("a stream framed with lone CRs is measured by its lines", () => {
    const cap = new LineCap(100);
    for (let i = 0; i < 1000; i++)
      expect(cap.over(enc.encode("data: " + "x".repeat(50) + "\r\r"))).toBe(false);
  });

  test("opening: only until the first line end", () => {
    const cap = new LineCap(100);
    cap.over(enc.encode("data: {"));
    expect(cap.opening).toBe(true);
    cap.over(enc.encode('"a":1}\n'));
    expect(cap.opening).toBe(false);
    cap.over(enc.encode("data: {"));
    expect(cap.opening).toBe(false);
  });

  test("a read longer than the cap that holds a whole long line is caught", () => {
    const cap = new LineCap(100);
    expect(cap.over(enc.encode("data: a\n" + "x".repeat(150) + "\ndata: b\n"))).toBe(true);
    expect(new LineCap(100).over(enc.encode("data: a\n".repeat(40)))).toBe(false);
  });

  test("wherever the reads are cut, the verdict is the one the longest line gives", () => {
    const line = fc.constantFrom(
      "data: a\n",
      "\n",
      "data: " + "y".repeat(40) + "\n",
      "z".repeat(30),
      "\r\n",
      "data: " + "w".repeat(70),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(600)), (parts, cuts) => {
        const text = parts.join("");
        expect(overAt(text, 64, cuts)).toBe(longestLine(text) > 64);
      }),
      { numRuns: 500 },
    );
  });
});

describe("JsonStringRewriter elementCap", () => {
  const element = (n: number) =>
    JSON.stringify(
      { candidates: [{ content: { parts: [{ text: "x".repeat(n) }] } }], modelVersion: "m" },
      null,
      2,
    );

  function oversized(doc: string, cap: number, cuts: number[]): boolean {
    const bytes = enc.encode(doc);
    const r = new JsonStringRewriter(["*", "modelVersion"], "g", { once: false, elementCap: cap });
    const at = [
      0,
      ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b),
      bytes.length,
    ];
    for (let i = 0; i + 1 < at.length; i++) r.push(bytes.subarray(at[i], at[i + 1]));
    return r.oversized;
  }

  test("elements within the cap pass, however many; one past it is caught wherever the reads are cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(150), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(2000)),
        (sizes, cuts) => {
          const elements = sizes.map(element);
          const doc = "[" + elements.join(",\r\n") + "]";
          const largest = Math.max(...elements.map((e) => enc.encode(e).length));
          expect(oversized(doc, 200, cuts)).toBe(largest > 200);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("firstElementPending: from before the array's first element opens until it closes", () => {
    const r = new JsonStringRewriter(["*", "modelVersion"], "g", { once: false, elementCap: 1000 });
    // `[` alone commits nothing: an upstream that dies after it can still fail over.
    r.push(enc.encode("[\r\n"));
    expect(r.firstElementPending).toBe(true);
    r.push(enc.encode('{"candidates": [{"content"'));
    expect(r.firstElementPending).toBe(true);
    r.push(enc.encode(': {}}]}\n,\r\n{"a": '));
    expect(r.firstElementPending).toBe(false);
  });
});
