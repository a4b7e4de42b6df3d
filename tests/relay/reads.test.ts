import { describe, expect, test } from "bun:test";
import { FORMATS, codecContext } from "../../src/wire";
import { CodecTranscoder } from "../../src/relay/codec-transcoder";
import { pump } from "../../src/relay/pump";
import type { IRRequest } from "../../src/ir";
import { HOLD_MS, UpstreamReads } from "../../src/relay/reads";

const enc = new TextEncoder();

/** A body whose chunks arrive at the given times (ms from now); it closes at `closeAt`. */
function timedBody(chunks: [number, string][], closeAt: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(c) {
      const t0 = performance.now();
      for (const [at, text] of chunks) {
        await Bun.sleep(Math.max(0, at - (performance.now() - t0)));
        c.enqueue(enc.encode(text));
      }
      await Bun.sleep(Math.max(0, closeAt - (performance.now() - t0)));
      c.close();
    },
  });
}

describe("UpstreamReads", () => {
  test("a read that arrived during a hold is handed over without an await", async () => {
    const reads = new UpstreamReads(
      timedBody(
        [
          [0, "a"],
          [5, "b"],
        ],
        5,
      ),
    );
    expect(new TextDecoder().decode((await reads.next()) as Uint8Array)).toBe("a");
    expect(await reads.arrivesWithin(1000)).toBe(true);
    expect(reads.arrivesWithin(1000)).toBe(true); // synchronous now
    const b = reads.next();
    expect(b).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(b as Uint8Array)).toBe("b");
    expect(await reads.next()).toBeNull();
  });

  test("a read waited for in vain is not waited for again, and still arrives", async () => {
    const reads = new UpstreamReads(timedBody([[60, "late"]], 60));
    expect(await reads.arrivesWithin(5)).toBe(false);
    expect(reads.arrivesWithin(5)).toBe(false); // at once: that read already had its wait
    const late = await reads.next();
    expect(new TextDecoder().decode(late as Uint8Array)).toBe("late");
    expect(await reads.next()).toBeNull();
  });

  test("a broken body reads as undefined; drain reads to the end", async () => {
    const broken = new UpstreamReads(
      new ReadableStream({ pull: (c) => c.error(new Error("reset")) }),
    );
    expect(await broken.next()).toBeUndefined();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => (++pulled <= 3 ? c.enqueue(enc.encode("x")) : c.close()),
    });
    await new UpstreamReads(body).drain();
    expect(pulled).toBe(4);
  });
});

const GEMINI_TEXT = (text: string) =>
  `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }], modelVersion: "m" })}\r\n\r\n`;
const GEMINI_LAST = (text: string) =>
  `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2, totalTokenCount: 3 }, modelVersion: "m" })}\r\n\r\n`;

/** Gemini upstream → OpenAI client, read by the client as (ms since start, text) per read. */
async function geminiToOpenAI(
  body: ReadableStream<Uint8Array>,
): Promise<{ reads: [number, string][]; ended: Promise<string> }> {
  const ctx = codecContext("g", FORMATS.gemini);
  const ir = FORMATS.openai.codec.decodeRequest(
    { model: "g", stream: true, messages: [{ role: "user", content: "hi" }] },
    ctx,
  ) as IRRequest;
  let onEnd!: (how: string) => void;
  const ended = new Promise<string>((r) => (onEnd = r));
  const t0 = performance.now();
  const transcoder = new CodecTranscoder(
    FORMATS.gemini.codec.createStreamDecoder(ctx),
    FORMATS.openai.codec.createStreamEncoder(ctx, ir),
    "gemini",
  );
  const out = await pump(body, transcoder, onEnd);
  if (!(out instanceof ReadableStream)) throw new Error("expected a stream");
  const reads: [number, string][] = [];
  const reader = new Response(out).body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads.push([performance.now() - t0, new TextDecoder().decode(value)]);
  }
  return { reads, ended };
}

describe("a converted stream near its close (Gemini upstream: only the close ends it)", () => {
  test("after the finish, the last text waits for a close that comes at once, and leaves with the end", async () => {
    const { reads, ended } = await geminiToOpenAI(
      timedBody(
        [
          [0, GEMINI_TEXT("one ")],
          [20, GEMINI_LAST("two")],
        ],
        21,
      ),
    );
    const all = reads.map(([, t]) => t).join("");
    expect(all).toContain('"content":"two"');
    expect(all.trimEnd().endsWith("data: [DONE]")).toBe(true);
    // The chunk with "two", the finish chunk and [DONE] went out together, not "two" alone first.
    const last = reads.at(-1)![1];
    expect(last).toContain('"content":"two"');
    expect(last).toContain('"finish_reason":"stop"');
    expect(await ended).toBe("done");
  });

  test("a close that does not come is not waited for: the last text goes out after the hold", async () => {
    const closeAt = 400;
    const { reads, ended } = await geminiToOpenAI(
      timedBody(
        [
          [0, GEMINI_TEXT("one ")],
          [20, GEMINI_LAST("two")],
        ],
        closeAt,
      ),
    );
    const withTwo = reads.find(([, t]) => t.includes('"content":"two"'))!;
    expect(withTwo).toBeDefined();
    expect(withTwo[0]).toBeLessThan(20 + HOLD_MS + 150);
    expect(withTwo[1]).not.toContain("[DONE]");
    expect(reads.at(-1)![1]).toContain("[DONE]");
    expect(reads.at(-1)![0]).toBeGreaterThanOrEqual(closeAt - 5);
    expect(await ended).toBe("done");
  });
});
