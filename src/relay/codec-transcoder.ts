import { routerError, type RouterError, type StreamEvent } from "../ir";
import { HOLD_MS, UpstreamReads, type Read } from "./reads";
import { directStream, send, type BodyWatch, type StreamEnd } from "./pump";
import type { StreamDecoder, StreamEncoder } from "../wire/codec";
import { SseFramer } from "../wire/sse/frames";
import { LineCap, lineTooLarge } from "../wire/sse/line-cap";

/**
 * Upstream bytes → client bytes through the two stream codecs, in one stage: each upstream read
 * is framed, decoded into neutral events and re-encoded at once, so nothing is buffered beyond
 * one frame.
 *
 * Commit late: nothing is returned until the stream has produced its first output. If the
 * upstream fails before that (an error event first, or a close with nothing useful), the
 * failure is returned instead, so the caller can still try another model.
 *
 * After that, a connection that breaks mid-stream ends like an early close, so the decoder
 * sees an unfinished stream and the client gets its format's in-stream error rather than a cut
 * connection. `onEnd` reports how a returned stream really ended; cancelling reaches the upstream.
 */
export async function convertStream(
  body: ReadableStream<Uint8Array>,
  decoder: StreamDecoder,
  encoder: StreamEncoder,
  onEnd: (how: StreamEnd) => void,
  watch: BodyWatch = { chunk() {}, done() {} },
  /** The upstream's format, named in errors. */
  source: string = "unknown",
): Promise<ReadableStream<Uint8Array> | RouterError> {
  const upstream = new UpstreamReads(body);
  const text = new TextDecoder();
  const framer = new SseFramer();
  // Checked on the bytes, before the framer: it holds an unfinished line whole.
  const lines = new LineCap();
  let upstreamEnded = false;
  /** The decoder saw the stream's end event: the client's stream ends before the upstream's. */
  let early = false;
  let failure: RouterError | undefined; // an error event seen in the stream

  /**
   * One upstream read → the client text it produces, as writes: everything a read produces goes
   * out in one write (each write is a trip through the direct stream and makes its close
   * dearer), except that "" marks where an error's write of its own begins.
   */
  function step(read: Read, out: Writes): void {
    if (read && lines.over(read)) {
      // Nothing of the line is decoded: its start may still be an error the codec would find.
      encode([{ type: "error", error: lineTooLarge(source) }], out);
      early = upstreamEnded = true; // the upstream is cancelled, not drained
      out.add(encoder.end());
      return;
    }
    if (read) {
      watch.chunk();
      for (const f of framer.push(text.decode(read, { stream: true })))
        encode(decoder.push(f), out);
      if (decoder.settled?.() !== "over") return;
      early = true; // nothing after the end event matters
    } else {
      // A broken upstream connection ends like an early close.
      for (const f of framer.push(text.decode())) encode(decoder.push(f), out);
      for (const f of framer.end()) encode(decoder.push(f), out);
    }
    upstreamEnded = true;
    encode(decoder.end(), out);
    out.add(encoder.end());
  }

  function encode(events: StreamEvent[], out: Writes): void {
    for (const e of events) {
      // An error goes out in a write of its own: the Gemini SDK only recognises a bare JSON
      // error when a network read holds nothing else.
      if (e.type === "error") {
        out.add(encoder.flush?.() ?? "");
        failure ??= e.error;
        out.boundary();
        out.add(encoder.push(e));
        out.boundary();
        continue;
      }
      out.add(encoder.push(e));
    }
  }

  /** Takes in every read that is already there, or arrives within the hold once the end is near. */
  const more = (out: Writes): boolean | Promise<boolean> => {
    if (upstreamEnded || decoder.settled?.() !== "closing") return false;
    const soon = upstream.arrivesWithin(HOLD_MS);
    const take = (arrived: boolean) => {
      if (arrived) step(upstream.next() as Read, out);
      return arrived;
    };
    return typeof soon === "boolean" ? take(soon) : soon.then(take);
  };

  // Commit late: wait for output; an error before any real output is a failed attempt.
  let head = new Writes();
  while (!upstreamEnded && head.empty()) {
    head = new Writes();
    let read = upstream.next();
    if (read instanceof Promise) read = await read;
    step(read, head);
  }
  while (await more(head));
  const list = head.list;
  if (failure && list.findIndex((s) => s === "") <= list.findIndex((s) => s !== "")) {
    watch.done();
    upstream.cancel();
    return failure;
  }
  if (head.empty()) {
    watch.done();
    return routerError("bad_gateway", "upstream closed its stream before sending anything");
  }

  let ended = false;
  const end = (how: StreamEnd) => {
    if (!ended) ((ended = true), watch.done(), onEnd(how));
  };
  return directStream(
    async (c) => {
      let out = head;
      try {
        for (;;) {
          // Strings go to the socket as they are: Bun encodes them on the way, with no copy here.
          const w = send(c, out.list);
          if (w) await w;
          if (upstreamEnded) break;
          out = new Writes();
          let read = upstream.next();
          if (read instanceof Promise) read = await read;
          step(read, out);
          for (;;) {
            let again = more(out);
            if (typeof again !== "boolean") again = await again;
            if (!again) break;
          }
        }
      } catch {
        end("cancelled"); // writing failed: the client is gone
        upstream.cancel();
        return c.close();
      }
      c.close();
      // The client has its whole answer: the call is over, whatever the upstream does next. Its
      // close is still read, so its connection is reused; one that holds it open is cut off.
      end(failure ? "broken" : "done");
      if (early && !failure) await upstream.drain();
      else if (early) upstream.cancel();
    },
    (reason) => {
      end("cancelled");
      upstream.cancel(reason);
    },
  );
}

/** Client text in as few writes as possible; "" entries mark boundaries between writes. */
class Writes {
  readonly list: string[] = [];
  private open = false; // whether the last entry may still grow

  add(s: string): void {
    if (s === "") return;
    if (this.open) this.list[this.list.length - 1] += s;
    else (this.list.push(s), (this.open = true));
  }

  /** Whether nothing but boundaries was written. */
  empty(): boolean {
    return this.list.every((s) => s === "");
  }

  boundary(): void {
    this.list.push("");
    this.open = false;
  }
}
