import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { routerError, type RouterError } from "../../src/ir";
import { pump, type StreamEnd, type Transcoder, type Verdict } from "../../src/relay/pump";
import type { Writes } from "../../src/relay/writes";
import type { Phase } from "../../src/wire/codec";

/**
 * The pump's keep-alives, over a real socket (a Bun server sends the pumped stream, fetch reads
 * it): sent when the client has been sent nothing for the rule's time, with one timer per stream
 * that chunks do not re-arm, and no timer left behind however the stream ends. Every timer the
 * process arms while a test runs is accounted for (the pump's other timers, the hold and the
 * drain, are not armed by these streams: they never reach the "closing" or "over" phase).
 */

const KEEP = ": keep-alive\n\n";
const EVERY_MS = 60;

/** Writes each upstream read as it came; at the end, "bye" when closed and "broken" when cut. */
class Echo implements Transcoder {
  push(chunk: Uint8Array, out: Writes): void {
    out.add(new TextDecoder().decode(chunk));
  }
  phase(): Phase {
    return "open";
  }
  opening(): boolean {
    return false;
  }
  end(broken: boolean, out: Writes): Verdict {
    if (broken) return (out.error("broken\n"), "broken");
    return (out.add("bye\n"), "done");
  }
  refusal(): RouterError {
    return routerError("bad_gateway", "nothing came");
  }
}

/** An upstream body the test feeds, read only when the pump reads (high-water mark 0). */
function upstream() {
  const queue: (string | "CLOSE" | "BREAK")[] = [];
  let wake = () => {};
  const cancelled = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const next = queue.shift()!;
        if (next === "CLOSE") c.close();
        else if (next === "BREAK") c.error(new Error("connection reset"));
        else c.enqueue(new TextEncoder().encode(next));
      },
      cancel: () => cancelled.resolve(),
    },
    { highWaterMark: 0 },
  );
  const feed = (...items: (string | "CLOSE" | "BREAK")[]) => (queue.push(...items), wake());
  return { body, feed, cancelled: cancelled.promise };
}

/** Every timer armed through setTimeout while installed, and which of them are still due. */
function timerSpy() {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const due = new Set<unknown>();
  let armed = 0;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    armed++;
    const id: unknown = realSet((...a: unknown[]) => (due.delete(id), fn(...a)), ms, ...args);
    due.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: Parameters<typeof clearTimeout>[0]) => {
    due.delete(id);
    realClear(id);
  }) as typeof clearTimeout;
  return {
    armed: () => armed,
    due: () => due.size,
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

let server: ReturnType<typeof Bun.serve>;
let next: ReadableStream<Uint8Array> | undefined;
let timers: ReturnType<typeof timerSpy>;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(next!, { headers: { "content-type": "text/event-stream" } }),
  });
});
afterAll(() => server.stop(true));
beforeEach(() => (timers = timerSpy()));
afterEach(() => timers.restore());

/** A pumped stream with keep-alives, served; the client's reads, each with its arrival time. */
async function started(up: ReturnType<typeof upstream>, onEnd: (how: StreamEnd) => void) {
  const rule = { bytes: KEEP, everyMs: EVERY_MS };
  const stream = await pump(up.body, new Echo(), onEnd, undefined, rule);
  if (!(stream instanceof ReadableStream)) throw new Error(stream.message);
  next = stream;
  const res = await fetch(`http://127.0.0.1:${server.port}/`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const reads: { at: number; text: string }[] = [];
  return {
    reader,
    reads,
    text: () => text,
    /** Reads until `done(text)` holds; false when the stream ended first. */
    async until(done: (all: string) => boolean): Promise<boolean> {
      while (!done(text)) {
        const r = await reader.read();
        if (r.done) return false;
        const part = decoder.decode(r.value, { stream: true });
        text += part;
        reads.push({ at: performance.now(), text: part });
      }
      return true;
    },
  };
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe("keep-alives", () => {
  test("a silent upstream: one keep-alive per interval of silence, then the stream goes on", async () => {
    const up = upstream();
    const end = Promise.withResolvers<StreamEnd>();
    // No write of the stream can come before this moment.
    const before = performance.now();
    up.feed("data: first\n\n");
    const c = await started(up, end.resolve);
    expect(await c.until((t) => count(t, KEEP) >= 3)).toBe(true);
    // The k-th keep-alive needs k full intervals of silence after the last write: none came early,
    // and there was no flood.
    for (let k = 1; k <= 3; k++) {
      let seen = "";
      const arrival = c.reads.find((r) => count((seen += r.text), KEEP) >= k)!.at;
      expect(arrival - before).toBeGreaterThanOrEqual(k * EVERY_MS - 2);
    }
    up.feed("data: second\n\n", "CLOSE");
    expect(await c.until(() => false)).toBe(false);
    // Keep-alives only between whole events (one more may have left while the test fed the rest).
    const [first, gap, rest] = c.text().split(/(?<=first\n\n)|(?=data: second)/);
    expect([first, rest]).toEqual(["data: first\n\n", "data: second\n\nbye\n"]);
    expect(gap!.split(KEEP).every((s) => s === "")).toBe(true);
    expect(await end.promise).toBe("done");
    expect(timers.due()).toBe(0);
  });

  test("a busy stream: its chunks arm no timer", async () => {
    const up = upstream();
    up.feed("data: 0\n\n");
    const c = await started(up, () => {});
    expect(await c.until((t) => t.includes("data: 0"))).toBe(true);
    const before = timers.armed();
    for (let i = 1; i <= 200; i++) {
      up.feed(`data: ${i}\n\n`);
      expect(await c.until((t) => t.includes(`data: ${i}\n`))).toBe(true);
    }
    // At most the one timer firing and re-arming while this ran; never one per chunk.
    expect(timers.armed() - before).toBeLessThan(200 / 4);
    up.feed("CLOSE");
    await c.until(() => false);
    expect(timers.due()).toBe(0);
  });

  test("an upstream that breaks in the silence: the in-stream error, and the timer is gone", async () => {
    const up = upstream();
    const end = Promise.withResolvers<StreamEnd>();
    up.feed("data: first\n\n");
    const c = await started(up, end.resolve);
    expect(await c.until((t) => t.includes(KEEP))).toBe(true);
    up.feed("BREAK");
    await c.until(() => false).catch(() => false);
    expect(c.text()).toEndWith("broken\n");
    expect(await end.promise).toBe("broken");
    expect(timers.due()).toBe(0);
  });

  test("a client that leaves in the silence: the upstream is let go, and the timer is gone", async () => {
    const up = upstream();
    const end = Promise.withResolvers<StreamEnd>();
    up.feed("data: first\n\n");
    const c = await started(up, end.resolve);
    expect(await c.until((t) => t.includes(KEEP))).toBe(true);
    await c.reader.cancel();
    await up.cancelled;
    expect(await end.promise).toBe("cancelled");
    expect(timers.due()).toBe(0);
  });

  test("without a rule, a silent stream gets nothing and arms no timer", async () => {
    const up = upstream();
    up.feed("data: first\n\n");
    const stream = await pump(up.body, new Echo(), () => {});
    if (!(stream instanceof ReadableStream)) throw new Error(stream.message);
    next = stream;
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: first\n\n");
    expect(timers.armed()).toBe(0);
    up.feed("CLOSE");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("bye\n");
  });
});
