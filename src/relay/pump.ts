/**
 * The one stream pump: an upstream body to the client through a Transcoder, which is all that
 * differs between passthrough (bytes edited on the way) and conversion (decoded, then encoded in
 * the client's format). Everything else is here, once:
 *
 *                  first output, first unit whole
 *   uncommitted ───────────────────────────────────▶ streaming ─────────────▶ ended: onEnd(how)
 *        │                                            │      ▲     "over", upstream closed or broke,
 *        │ error before any output,                   │      │     write failed, client cancelled
 *        │ upstream ended, line cap                   └──────┘
 *        ▼                                       phase "closing": each read is awaited up to
 *   refused: the transcoder's refusal,           HOLD_MS before the held writes go out
 *   a failure value, no stream
 *
 * - Commit late: nothing is returned until the transcoder wrote its first output and its first
 *   unit (line, array element) is whole. Until then a failure can still be answered by another
 *   model, so writes that open with an error, an upstream that ended, or a first line past the cap
 *   refuse the stream instead (the upstream is cancelled).
 * - Phase "open": every read is written at once. "closing": the answer is finished and only the
 *   upstream's close confirms it; its last bytes wait up to HOLD_MS for that close, so they and
 *   the response's end leave in one packet (reads.ts). "over": the stream ends now; after the
 *   client's close, the rest of the upstream body is drained (whole) or cancelled (broken).
 * - The transcoder ends the stream once (its `end`) and judges it: "done" or "broken". A broken
 *   stream ends with the transcoder's in-stream error, in a network write of its own; one without
 *   such an error is cut, so the client cannot take it for whole.
 * - A committed stream given a keep-alive rule (conversions) sends the client its format's
 *   keep-alive whenever it has been sent nothing for the rule's time (keep-alive.ts); the timer
 *   stops when the stream ends, breaks, or its client cancels.
 * - `onEnd` is called exactly once per returned stream, after the client's stream closed: with
 *   the verdict, or "cancelled" when a write failed (the client is gone) or the client cancelled.
 *   Cancelling reaches the upstream.
 */
import type { RouterError } from "../ir";
import type { Phase } from "../wire/codec";
import { KeepAlive, type KeepAliveRule } from "./keep-alive";
import { HOLD_MS, UpstreamReads, type Read } from "./reads";
import { directStream, send, Writes } from "./writes";

/** How a returned stream really ended. */
export type StreamEnd = "done" | "broken" | "cancelled";

/** The transcoder's judgement of a stream that ended: whole by its format's rule, or not. */
export type Verdict = Exclude<StreamEnd, "cancelled">;

/** What differs between the streams the pump moves: how upstream bytes become client writes. */
export interface Transcoder {
  /** One upstream read: the client writes it produces go to `out`. */
  push(chunk: Uint8Array, out: Writes): void;
  /** Where the stream stands after the last push. */
  phase(): Phase;
  /** Still inside the stream's first unit (line, array element): nothing is committed before it ends. */
  opening(): boolean;
  /**
   * The stream is over: the phase became "over", or the upstream closed (`broken` false) or its
   * connection broke (true). Writes what is still due, the in-stream error (`out.error`) when the
   * stream is broken, and judges the stream by the format's rule.
   */
  end(broken: boolean, out: Writes): Verdict;
  /** Why the stream was refused before anything was committed: the attempt's failure. */
  refusal(): RouterError;
}

/** Hooks an upstream call's time limits into its body: every chunk resets the idle limit. */
export interface BodyWatch {
  chunk(): void;
  done(): void;
}

const NO_WATCH: BodyWatch = { chunk() {}, done() {} };

/**
 * Reads until the stream can be committed, then returns a stream that writes what was read and
 * everything after; or, when it cannot be committed, the transcoder's refusal. With `keepAlive`,
 * a committed stream whose client has been sent nothing for a while is sent the keep-alive.
 */
export async function pump(
  body: ReadableStream<Uint8Array>,
  t: Transcoder,
  onEnd: (how: StreamEnd) => void,
  watch: BodyWatch = NO_WATCH,
  keepAlive?: KeepAliveRule,
): Promise<ReadableStream<Uint8Array> | RouterError> {
  const upstream = new UpstreamReads(body);
  const out = new Writes();
  let phase: Phase = "open";
  /** The transcoder's verdict once the stream ended; undefined while reads go on. */
  let verdict: Verdict | undefined;
  /** It ended on phase "over", before the upstream's body did. */
  let early = false;

  const take = (read: Read): void => {
    if (!read) {
      verdict = t.end(read === undefined, out);
      return;
    }
    watch.chunk();
    t.push(read, out);
    phase = t.phase();
    if (phase === "over") ((early = true), (verdict = t.end(false, out)));
  };
  const takeIf = (arrived: boolean): boolean => {
    if (arrived) take(upstream.next() as Read);
    return arrived;
  };
  /** While closing: takes the next read if it arrives within the hold (at once if it already has). */
  const held = (): boolean | Promise<boolean> => {
    if (verdict !== undefined || phase !== "closing") return false;
    const soon = upstream.arrivesWithin(HOLD_MS);
    return typeof soon === "boolean" ? takeIf(soon) : soon.then(takeIf);
  };

  while (verdict === undefined && (out.empty() || t.opening())) {
    let read = upstream.next();
    if (read instanceof Promise) read = await read;
    take(read);
  }
  // Before the stream exists: its first write must come before any await in `pull`.
  while (await held());
  if (t.opening() || out.empty() || out.opensWithError()) {
    watch.done();
    upstream.cancel();
    return t.refusal(); // not committed: the caller accounts for the failed attempt
  }

  let ended = false;
  let alive: KeepAlive | undefined;
  const end = (how: StreamEnd) => {
    alive?.stop();
    if (!ended) ((ended = true), watch.done(), onEnd(how));
  };
  return directStream(
    async (c) => {
      let how: StreamEnd;
      if (keepAlive && !ended) alive = new KeepAlive(c, keepAlive);
      try {
        for (;;) {
          const busy = alive?.busy();
          if (busy) await busy;
          // Strings go to the socket as they are: Bun encodes them on the way, with no copy here.
          const w = send(c, out.list);
          if (w) await w;
          if (alive && out.list.length) alive.wrote();
          out.clear();
          if (verdict !== undefined) {
            how = verdict;
            break;
          }
          let read = upstream.next();
          if (read instanceof Promise) {
            alive?.waiting(true);
            read = await read;
            alive?.waiting(false);
          }
          take(read);
          for (;;) {
            let again = held();
            if (typeof again !== "boolean") again = await again;
            if (!again) break;
          }
        }
      } catch {
        how = "cancelled"; // writing failed: the client is gone
      }
      // The upstream's connection is closed for a client that is gone, or a stream that broke
      // before the upstream's body ended (an error event, a line past the cap).
      if (how === "cancelled" || (early && how === "broken")) upstream.cancel();
      if (how === "broken" && !out.erred)
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
