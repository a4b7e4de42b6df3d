/**
 * Reads of an upstream body for the stream pump (pump.ts), with what lets an answer's last bytes
 * and the end of the client's response leave in one packet.
 *
 * Bun writes what a direct stream was given when the event loop turns, and the end of a chunked
 * response ("0\r\n\r\n") when the stream closes. The upstream's close reaches JavaScript a turn
 * after its last bytes, so a relay that writes every read at once sends every stream's end in a
 * packet of its own: a send, and a wakeup of the client, more per answer. Two ways around it (the
 * transcoder's phase says which applies):
 * - a format whose stream ends with an event of its own (OpenAI's `[DONE]`, Anthropic's
 *   `message_stop`) is over when that event is read: the client's stream closes at once, the call
 *   counts as finished (the model's in-flight count drops), and the rest of the upstream body (its
 *   close) is read afterwards, keeping the connection reusable, for DRAIN_MS at most;
 * - a stream that only ends when the upstream closes (Gemini) and has sent its finish holds its
 *   last bytes until that close, for HOLD_MS at most.
 */

/** A chunk of the upstream body, `null` at its end, `undefined` when the connection broke. */
export type Read = Uint8Array | null | undefined;

/** The longest the last bytes of an answer wait for the upstream's close. */
export const HOLD_MS = 10;

/** The longest an upstream may keep its body open after its stream's end event. */
const DRAIN_MS = 2000;

const NONE = Symbol("none");

export class UpstreamReads {
  private pending: Promise<Read> | undefined;
  private ready: Read | typeof NONE = NONE;
  /** A read already waited for in vain: it is not waited for twice. */
  private waited: Promise<Read> | undefined;

  private readonly reader;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next non-empty read; synchronous when it already arrived during a hold. */
  next(): Read | Promise<Read> {
    if (this.ready !== NONE) {
      const r = this.ready;
      this.ready = NONE;
      return r;
    }
    const p = this.pending ?? this.read();
    this.pending = undefined;
    return p;
  }

  /**
   * Whether the next read arrives within `ms`: true at once (without a turn of the microtask
   * queue) when it already has, and false at once when this read was already waited for, so a
   * caller that must write before its first await can ask.
   */
  arrivesWithin(ms: number): boolean | Promise<boolean> {
    if (this.ready !== NONE) return true;
    const p = (this.pending ??= this.read());
    if (this.waited === p) return false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => ((this.waited = p), resolve(false)), ms);
      void p.then((r) => {
        clearTimeout(timer);
        // Taken only by the caller that is still waiting: a late arrival stays with `pending`.
        if (this.pending === p) ((this.ready = r), (this.pending = undefined));
        resolve(true);
      });
    });
  }

  /**
   * Reads to the end after the client's stream was closed early, so the connection can be reused;
   * an upstream that keeps its body open past `ms` is cut off (cancelling closes its connection).
   */
  async drain(ms = DRAIN_MS): Promise<void> {
    const timer = setTimeout(() => this.cancel(), ms);
    try {
      for (;;) {
        let r = this.next();
        if (r instanceof Promise) r = await r;
        if (!r) return;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  cancel(reason?: unknown): void {
    this.reader.cancel(reason).catch(() => {});
  }

  private async read(): Promise<Read> {
    try {
      for (;;) {
        const r = await this.reader.read();
        if (r.done) return null;
        if (r.value.length) return r.value;
      }
    } catch {
      return undefined;
    }
  }
}
