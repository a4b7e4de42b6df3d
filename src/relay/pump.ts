/**
 * Moving an upstream body to the client in one stage, with the hooks the router needs around it:
 * a late commit (the first bytes are awaited before the client sees a status, so an upstream that
 * dies right after its headers can still fail over) and one callback when the stream has really
 * ended — last byte written, upstream broken, or client gone — which is when in-flight counts drop
 * and health learns the outcome. (`onEnd` is only ever called for a stream that was returned.)
 *
 * The stream is a Bun "direct" stream: bytes are written straight to the socket, with no queue and
 * no chain of TransformStreams in between (each stage costs CPU on every chunk).
 */
import { HOLD_MS, UpstreamReads, type Settled } from "./reads";

export type StreamEnd = "done" | "broken" | "cancelled";

export interface ByteEditor {
  push(chunk: Uint8Array): Uint8Array;
  end(): Uint8Array;
  /** Whether what went through is whole by the format's rule (wire/stream-end.ts); false = truncated. */
  complete?(): boolean;
  /** The client format's in-stream error, written when the upstream broke off mid-stream. */
  fail?(): Uint8Array;
  /** Where the stream stands after the last push: over, near its close, or neither (reads.ts). */
  settled?(): Settled;
  /** The upstream sent a line or array element past the cap (line-cap.ts): the attempt ends there. */
  oversized?(): boolean;
  /** Still inside the stream's first line (or array element): nothing is committed before it ends. */
  opening?(): boolean;
}

export interface DirectController {
  write(data: string | Uint8Array): number | Promise<number>;
  flush(): number | Promise<number>;
  close(error?: Error): void;
}

/** Source for `new ReadableStream(...)` in Bun's direct mode, typed without lib.dom. */
export function directStream(
  pull: (c: DirectController) => Promise<void>,
  cancel: (reason: unknown) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream({ type: "direct", pull, cancel } as unknown as ConstructorParameters<
    typeof ReadableStream<Uint8Array>
  >[0]);
}

/**
 * Writes without a turn of the microtask queue unless the socket pushes back: a write and a close
 * in the same turn leave as one packet. `""` in a list is a boundary: what came before is sent
 * on its own (an error the Gemini SDK must find alone in a network read).
 */
export function send(
  c: DirectController,
  parts: readonly (string | Uint8Array)[],
  from = 0,
): Promise<void> | undefined {
  for (let i = from; i < parts.length; i++) {
    const part = parts[i]!;
    const pending = part === "" ? c.flush() : part.length ? c.write(part) : 0;
    if (typeof pending !== "number") return pending.then(() => send(c, parts, i + 1));
  }
  return undefined;
}

/** Hooks an upstream call's time limits into its body: every chunk resets the idle limit. */
export interface BodyWatch {
  chunk(): void;
  done(): void;
}

const NO_WATCH: BodyWatch = { chunk() {}, done() {} };

/**
 * Reads the first chunk (more when it ends inside the first line), then returns a stream that
 * writes it and everything after, edited. Resolves to "broken" when the upstream fails or ends
 * before that, "oversized" when its first line passed the cap: an attempt that can still fail over.
 */
export async function relay(
  body: ReadableStream<Uint8Array>,
  editor: ByteEditor,
  onEnd: (how: StreamEnd) => void,
  watch: BodyWatch = NO_WATCH,
): Promise<ReadableStream<Uint8Array> | "broken" | "oversized"> {
  const upstream = new UpstreamReads(body);
  const held: (Uint8Array | "")[] = [];
  let read: Uint8Array | null | undefined;
  do {
    read = await upstream.next();
    if (read) (watch.chunk(), held.push(editor.push(read)));
  } while (read && editor.opening?.() && !editor.oversized?.());
  if (!read || editor.oversized?.()) {
    watch.done();
    upstream.cancel();
    return read ? "oversized" : "broken"; // not committed: the caller accounts for the failed attempt
  }
  // Before the stream exists: its first write must come before any await in `pull`.
  if (editor.settled?.() === "closing") await upstream.arrivesWithin(HOLD_MS);
  let ended = false;
  const end = (how: StreamEnd) => {
    if (!ended) ((ended = true), watch.done(), onEnd(how));
  };
  return directStream(
    async (c) => {
      let how: StreamEnd = "done";
      let early = false;
      let oversized = false;
      try {
        for (;;) {
          const state = editor.settled?.();
          if (state === "over") {
            early = true;
            break;
          }
          let hold = state === "closing" ? upstream.arrivesWithin(HOLD_MS) : false;
          if (typeof hold !== "boolean") hold = await hold;
          if (!hold) {
            const w = send(c, held.splice(0));
            if (w) await w;
          }
          let r = upstream.next();
          if (r instanceof Promise) r = await r;
          if (r === null) break;
          if (r === undefined) {
            how = "broken";
            break;
          }
          watch.chunk();
          const out = editor.push(r);
          if (editor.oversized?.()) {
            oversized = true;
            upstream.cancel();
            break;
          }
          held.push(out);
        }
        held.push(editor.end());
        // What went through decides, by the format's rule, as conversion's decoders do: a close
        // without the end marker is a failure, a broken connection after it is not.
        if (oversized) how = "broken";
        else if (editor.complete) how = editor.complete() ? "done" : "broken";
        // Where the format has an in-stream error, the client gets one instead of a cut connection.
        if (how === "broken" && editor.fail) held.push("", editor.fail());
        const w = send(c, held);
        if (w) await w;
      } catch {
        how = "cancelled"; // writing failed: the client is gone
      }
      if (how === "cancelled") upstream.cancel();
      if (how === "broken" && !editor.fail)
        c.close(new Error("upstream connection broke mid-stream"));
      else c.close();
      // The client has its whole answer: the call is over, whatever the upstream does next. Its
      // close is still read, so its connection is reused; one that holds it open is cut off.
      end(how);
      if (early && how === "done") await upstream.drain();
    },
    (reason) => {
      end("cancelled");
      upstream.cancel(reason);
    },
  );
}
