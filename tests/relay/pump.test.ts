import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RouterError, routerError } from "../../src/ir";
import { pump, type StreamEnd, type Transcoder, type Verdict } from "../../src/relay/pump";
import type { Phase } from "../../src/wire/codec";
import { HOLD_MS } from "../../src/relay/reads";
import type { Writes } from "../../src/relay/writes";

/**
 * The pump's protocol, once, with a transcoder that only follows orders, over a real socket: a
 * Bun server sends the pumped stream and fetch reads it (a stream read in process behaves
 * differently from one a socket client reads).
 *
 * The fake transcoder reads commands, one per line: `out:<text>` writes `<text>`; `err:<text>` is
 * an error event (written alone, and the stream is over and broken); `fin` means only the close is
 * still due (phase "closing"); `end` is the end event (phase "over"). A chunk that does not end
 * with a line end leaves the first unit open. At its end it writes "bye" for a finished stream
 * and an in-stream error for an unfinished one.
 */
class Orders implements Transcoder {
  private now: Phase = "open";
  private started = false;
  private failure: string | undefined;
  /** The `broken` flags `end` was called with. */
  readonly ends: boolean[] = [];
  /** Without an in-stream error, an unfinished stream is cut. */
  constructor(private readonly errorEvent = true) {}

  push(chunk: Uint8Array, out: Writes): void {
    const text = new TextDecoder().decode(chunk);
    for (const line of text.split("\n")) {
      const [order, arg = ""] = line.split(":", 2) as [string, string?];
      if (order === "out") out.add(arg + "\n");
      else if (order === "err") {
        this.failure = arg;
        out.error(`error:${arg}\n`);
        this.now = "over";
      } else if (order === "fin") this.now = "closing";
      else if (order === "end") this.now = "over";
    }
    this.started ||= text.endsWith("\n");
  }

  phase(): Phase {
    return this.now;
  }

  opening(): boolean {
    return !this.started;
  }

  end(broken: boolean, out: Writes): Verdict {
    this.ends.push(broken);
    if (this.failure) return "broken";
    if (this.now !== "open") return (out.add("bye\n"), "done");
    if (this.errorEvent) out.error("error:unfinished\n");
    return "broken";
  }

  refusal(): RouterError {
    return routerError("bad_gateway", this.failure ?? "nothing came");
  }
}

const CLOSE = Symbol("close");
const BREAK = Symbol("break");

/**
 * An upstream body the test feeds. It has no queue of its own (high-water mark 0): it is pulled
 * only when its reader reads, so `closeRead` says the pump (or its drain) read the close.
 */
function upstream() {
  const queue: (string | typeof CLOSE | typeof BREAK)[] = [];
  let wake = () => {};
  const cancelled = Promise.withResolvers<unknown>();
  const closeRead = Promise.withResolvers<void>();
  let wasCancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const next = queue.shift()!;
        if (next === CLOSE) (c.close(), closeRead.resolve());
        else if (next === BREAK) c.error(new Error("connection reset"));
        else c.enqueue(new TextEncoder().encode(next));
      },
      cancel(reason) {
        wasCancelled = true;
        cancelled.resolve(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const feed = (...items: (string | typeof CLOSE | typeof BREAK)[]) => {
    queue.push(...items);
    wake();
  };
  return {
    body,
    feed,
    cancelled: cancelled.promise,
    closeRead: closeRead.promise,
    wasCancelled: () => wasCancelled,
  };
}

/** Every `how` a stream's end was reported with, and the first of them. */
function ends() {
  const seen: StreamEnd[] = [];
  const first = Promise.withResolvers<StreamEnd>();
  const onEnd = (how: StreamEnd) => (seen.push(how), first.resolve(how));
  return { seen, first: first.promise, onEnd };
}

let server: ReturnType<typeof Bun.serve>;
let next: ReadableStream<Uint8Array> | undefined;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(next!, { headers: { "content-type": "text/plain" } }),
  });
});
afterAll(() => server.stop(true));

/** Serves a pumped stream and returns the client's reader of it. */
async function client(stream: ReadableStream<Uint8Array> | RouterError) {
  if (!(stream instanceof ReadableStream)) throw new Error(`refused: ${stream.message}`);
  next = stream;
  const res = await fetch(`http://127.0.0.1:${server.port}/`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  return {
    reader,
    /** The next network read as text; null at the end. */
    async read(): Promise<string | null> {
      const r = await reader.read();
      return r.done ? null : decoder.decode(r.value);
    },
    /** Everything to the end. */
    async rest(): Promise<string> {
      let all = "";
      for (let r = await reader.read(); !r.done; r = await reader.read())
        all += decoder.decode(r.value);
      return all;
    },
  };
}

/** One turn of the event loop: what is already due has run. */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("commit late: nothing is returned before the first output", () => {
  test("an error before any output is a failure value, and the upstream is let go", async () => {
    const up = upstream();
    const end = ends();
    const t = new Orders();
    const result = pump(up.body, t, end.onEnd);
    up.feed("nothing yet\n");
    let settled = false;
    void result.then(() => (settled = true));
    await turn();
    expect(settled).toBe(false); // a read without output commits nothing
    up.feed("err:quota exceeded\n");
    const out = await result;
    expect(out).toBeInstanceOf(RouterError);
    expect((out as RouterError).message).toBe("quota exceeded");
    await up.cancelled;
    expect(end.seen).toEqual([]); // onEnd belongs to returned streams only
  });

  test("an upstream that closes, or breaks, before any output is refused", async () => {
    for (const last of [CLOSE, BREAK] as const) {
      const up = upstream();
      const t = new Orders();
      up.feed(last);
      const out = await pump(up.body, t, () => {});
      expect((out as RouterError).message).toBe("nothing came");
      expect(t.ends).toEqual([last === BREAK]);
    }
  });

  test("output inside a first unit that never ends is refused too", async () => {
    const up = upstream();
    up.feed("out:partial", CLOSE);
    const out = await pump(up.body, new Orders(false), () => {});
    expect(out).toBeInstanceOf(RouterError);
  });
});

describe("phases", () => {
  test("closing: the last writes wait for the upstream's close and leave with the end", async () => {
    const up = upstream();
    const end = ends();
    up.feed("out:first\n");
    const c = await client(await pump(up.body, new Orders(), end.onEnd));
    expect(await c.read()).toBe("first\n");
    up.feed("out:last\nfin\n", CLOSE);
    expect(await c.read()).toBe("last\nbye\n");
    expect(await c.read()).toBeNull();
    expect(await end.first).toBe("done");
  });

  test("closing: a close that does not come is waited for only briefly", async () => {
    const up = upstream();
    const end = ends();
    up.feed("out:first\n");
    const c = await client(await pump(up.body, new Orders(), end.onEnd));
    expect(await c.read()).toBe("first\n");
    const fed = performance.now();
    up.feed("out:last\nfin\n");
    expect(await c.read()).toBe("last\n"); // while the upstream is still open
    expect(performance.now() - fed).toBeGreaterThanOrEqual(HOLD_MS - 1); // after the hold
    up.feed(CLOSE);
    expect(await c.rest()).toBe("bye\n");
    expect(await end.first).toBe("done");
  });

  test("over: the client's stream ends at once, and the upstream is read to its end", async () => {
    const up = upstream();
    const end = ends();
    up.feed("out:answer\nend\n");
    const c = await client(await pump(up.body, new Orders(), end.onEnd));
    expect(await c.rest()).toBe("answer\nbye\n");
    expect(await end.first).toBe("done"); // before the upstream closed
    up.feed("out:ignored\n", CLOSE);
    await up.closeRead; // drained, not cancelled: its connection can be reused
    expect(up.wasCancelled()).toBe(false);
    expect(end.seen).toEqual(["done"]);
  });
});

describe("the end: once, and as it really was", () => {
  test("a broken upstream after output: the in-stream error, then a clean close", async () => {
    const up = upstream();
    const end = ends();
    const t = new Orders();
    up.feed("out:half an answer\n");
    const c = await client(await pump(up.body, t, end.onEnd));
    expect(await c.read()).toBe("half an answer\n");
    up.feed("out:more\n", BREAK);
    // The error is written alone (writes.test.ts); a client slower than the socket reads both at once.
    expect(await c.rest()).toBe("more\nerror:unfinished\n"); // a clean end, not a cut connection
    expect(await end.first).toBe("broken");
    expect(t.ends).toEqual([true]);
    expect(end.seen).toEqual(["broken"]);
  });

  test("an error event after output ends the stream, and the upstream is cancelled", async () => {
    const up = upstream();
    const end = ends();
    up.feed("out:some\n");
    const c = await client(await pump(up.body, new Orders(), end.onEnd));
    expect(await c.read()).toBe("some\n");
    up.feed("err:overloaded\n");
    expect(await c.rest()).toBe("error:overloaded\n");
    expect(await end.first).toBe("broken");
    await up.cancelled;
    expect(end.seen).toEqual(["broken"]);
  });

  test("a broken stream without an in-stream error is cut", async () => {
    const up = upstream();
    const end = ends();
    up.feed("out:some\n");
    const c = await client(await pump(up.body, new Orders(false), end.onEnd));
    expect(await c.read()).toBe("some\n");
    up.feed(CLOSE);
    await expect(c.rest()).rejects.toThrow();
    expect(await end.first).toBe("broken");
  });

  test("a client that leaves: the upstream is cancelled, and the end is reported once", async () => {
    const up = upstream();
    const end = ends();
    const t = new Orders();
    up.feed("out:hello\n");
    const c = await client(await pump(up.body, t, end.onEnd));
    expect(await c.read()).toBe("hello\n");
    await c.reader.cancel();
    await up.cancelled;
    expect(await end.first).toBe("cancelled");
    // The pump's own loop also sees the end (its pending read ends): still one report.
    while (t.ends.length === 0) await turn();
    await turn();
    expect(end.seen).toEqual(["cancelled"]);
  });

  test("a stream that ends normally is reported done, once", async () => {
    const up = upstream();
    const end = ends();
    const t = new Orders();
    up.feed("out:one\n", "out:two\nfin\n", CLOSE);
    const c = await client(await pump(up.body, t, end.onEnd));
    expect(await c.rest()).toBe("one\ntwo\nbye\n");
    expect(await end.first).toBe("done");
    expect(t.ends).toEqual([false]);
    expect(end.seen).toEqual(["done"]);
  });
});
