import { expect, test } from "bun:test";
import { FORMATS } from "../../src/wire";
import { UsageElements } from "../../src/relay/usage-elements";
import { UsageTally } from "../../src/relay/usage-keys";
import { UsageLines } from "../../src/relay/usage-lines";

/**
 * The usage scan on the hot path: a long stream costs time in proportion to its length, holds no
 * more than one line, and parses only the frames that carry usage, however many fake "usage"
 * strings the model writes.
 */

const MB = 1024 * 1024;
const READ = 64 * 1024;
const enc = new TextEncoder();

const START =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"usage":{"input_tokens":12,"cache_read_input_tokens":30,"cache_creation_input_tokens":4,"output_tokens":1}}}\n\n';
const END =
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":777}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
const delta = (text: string) =>
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}\n\n`;

/** An Anthropic stream of about `size` bytes, in reads of READ bytes, made as it is read. */
function* anthropicStream(size: number, text: string): Generator<Uint8Array> {
  const frame = enc.encode(delta(text));
  const perRead = Math.max(1, Math.floor(READ / frame.length));
  const read = new Uint8Array(perRead * frame.length);
  for (let i = 0; i < perRead; i++) read.set(frame, i * frame.length);
  yield enc.encode(START);
  // Reads that end mid-line too: an odd cut of every read.
  const cut = Math.floor(read.length / 3) + 7;
  // Fresh buffers, as a socket gives them: one the scan kept would stay on the heap.
  for (let sent = 0; sent < size; sent += read.length) {
    yield read.slice(0, cut);
    yield read.slice(cut);
  }
  yield enc.encode(END);
}

function scan(chunks: Iterable<Uint8Array>): { tally: UsageTally; ms: number } {
  const tally = new UsageTally(FORMATS.anthropic.usage);
  const lines = new UsageLines(tally, false);
  const started = performance.now();
  for (const c of chunks) lines.push(c);
  lines.end();
  return { tally, ms: performance.now() - started };
}

/** The fastest of three scans: the machine is shared, and a pause would only ever add time. */
function timed(make: () => Iterable<Uint8Array>): { tally: UsageTally; ms: number } {
  const runs = [scan(make()), scan(make()), scan(make())];
  return { tally: runs[0]!.tally, ms: Math.min(...runs.map((r) => r.ms)) };
}

const WANT = { input: 12, cacheRead: 30, cacheWrite: 4, output: 777 };

test("a 50 MB stream with usage at its ends: linear time, two parses, bounded memory", () => {
  const text = "plain text of a long answer";
  const small = timed(() => anthropicStream(10 * MB, text));
  const big = timed(() => anthropicStream(50 * MB, text));
  expect(big.tally.usage).toEqual(WANT);
  expect(big.tally.parsed).toBe(2); // message_start and message_delta, nothing else
  // Five times the bytes in about five times the time; a quadratic scan would take 25 times.
  expect(big.ms / small.ms).toBeLessThan(12);

  // No read is kept once its lines are scanned: the heap does not grow with the stream.
  const tally = new UsageTally(FORMATS.anthropic.usage);
  const lines = new UsageLines(tally, false);
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  for (const c of anthropicStream(50 * MB, text)) lines.push(c);
  Bun.gc(true);
  const held = process.memoryUsage().heapUsed - before;
  lines.end();
  expect(tally.usage).toEqual(WANT);
  expect(held).toBeLessThan(4 * MB);
});

test("fake usage keys in the model's text cost no parse and no quadratic time", () => {
  // Every way a text can spell the key: quoted, followed by a colon and a brace, repeated.
  const fake = 'say "usage":{"input_tokens":1} and "usage": {} or \\"usage\\":{';
  const small = timed(() => anthropicStream(5 * MB, fake.repeat(4)));
  const big = timed(() => anthropicStream(25 * MB, fake.repeat(4)));
  expect(big.tally.usage).toEqual(WANT);
  expect(big.tally.parsed).toBe(2);
  expect(small.tally.parsed).toBe(2);
  expect(big.ms / small.ms).toBeLessThan(12);
});

test("one long line in many reads, full of needles, is joined once", () => {
  // 4 MB of `"usage` in a single data line, sent 1 KB at a time.
  const line = enc.encode(`data: {"text":"${'\\"usage'.repeat((4 * MB) / 7)}"}\n\n`);
  const reads = (n: number) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i += 1024) out.push(line.subarray(i, Math.min(n, i + 1024)));
    return out;
  };
  const small = timed(() => reads(line.length / 8));
  const big = timed(() => reads(line.length));
  expect(big.tally.parsed).toBe(0);
  expect(small.tally.parsed).toBe(0);
  // Eight times the bytes: a quadratic join or search would take 64 times as long.
  expect(big.ms / small.ms).toBeLessThan(24);
});

test("a usage frame past the line cap is not read, and nothing of it is held", () => {
  const tally = new UsageTally(FORMATS.openai.usage);
  const lines = new UsageLines(tally, true, 1024);
  const huge = `data: {"choices":[],"usage":{"prompt_tokens":1},"pad":"${"x".repeat(4096)}"}\n\n`;
  const out: Uint8Array[] = [];
  for (let i = 0; i < huge.length; i += 100)
    out.push(lines.push(enc.encode(huge.slice(i, i + 100))));
  out.push(lines.end());
  expect(tally.parsed).toBe(0);
  expect(tally.usage).toBeUndefined();
  // It could not be judged, so it goes to the client as it came.
  expect(Buffer.concat(out).toString()).toBe(huge);
});

test("Gemini's streamed array: only elements holding usageMetadata are parsed", () => {
  const tally = new UsageTally(FORMATS.gemini.usage);
  const meter = new UsageElements(tally);
  const element = (i: number, usage: boolean) =>
    JSON.stringify({
      candidates: [{ content: { parts: [{ text: `"usageMetadata": {${i}` }] } }],
      ...(usage ? { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: i } } : {}),
    });
  const doc = `[${Array.from({ length: 2000 }, (_, i) => element(i, i % 500 === 499)).join(",\r\n")}]`;
  const bytes = enc.encode(doc);
  // The walk as the rewriter makes it: elements open and close at depth one of the array.
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let from = 0; from < bytes.length; from += 333) {
    const read = bytes.subarray(from, from + 333);
    meter.walking(read);
    for (let i = 0; i < read.length; i++) {
      const b = read[i]!;
      if (escaped) escaped = false;
      else if (inString) {
        if (b === 0x5c) escaped = true;
        else if (b === 0x22) inString = false;
      } else if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) {
        if (++depth === 2) meter.open(i);
      } else if (b === 0x7d || b === 0x5d) {
        if (depth-- === 2) meter.close(i);
      }
    }
    meter.endRead(read.length);
  }
  expect(tally.parsed).toBe(4);
  expect(tally.usage).toEqual({ input: 3, cacheRead: 0, cacheWrite: 0, output: 1999 });
});
