import { routerError, type RouterError, type StreamEvent } from "../ir";
import { directStream, write, type BodyWatch, type StreamEnd } from "../upstream/relay";
import type { StreamDecoder, StreamEncoder } from "../wire/codec";
import { SseFramer } from "../wire/sse/frames";

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
): Promise<ReadableStream<Uint8Array> | RouterError> {
  const reader = body.getReader();
  const text = new TextDecoder();
  const bytes = new TextEncoder();
  const framer = new SseFramer();
  let upstreamEnded = false;
  let failure: RouterError | undefined; // an error event seen in the stream

  /**
   * Reads one upstream chunk and returns the client text it produces, as writes: everything a
   * read produces goes out in one write (each write is a trip through the direct stream and
   * makes its close dearer), except that "" marks where an error's write of its own begins.
   */
  async function step(): Promise<string[]> {
    let chunk: string | undefined;
    try {
      const { done, value } = await reader.read();
      if (!done) watch.chunk();
      chunk = done ? undefined : text.decode(value, { stream: true });
    } catch {
      chunk = undefined; // a broken upstream connection ends like an early close
    }
    const out = new Writes();
    if (chunk === undefined) {
      upstreamEnded = true;
      for (const f of framer.push(text.decode())) encode(decoder.push(f), out);
      for (const f of framer.end()) encode(decoder.push(f), out);
      encode(decoder.end(), out);
      out.add(encoder.end());
    } else {
      for (const f of framer.push(chunk)) encode(decoder.push(f), out);
    }
    return out.list;
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

  // Commit late: wait for output; an error before any real output is a failed attempt.
  let head: string[] = [];
  while (!upstreamEnded && head.every((s) => s === "")) head = await step();
  const hasOutput = head.some((s) => s !== "");
  if (failure && head.findIndex((s) => s === "") <= head.findIndex((s) => s !== "")) {
    watch.done();
    reader.cancel().catch(() => {});
    return failure;
  }
  if (!hasOutput) {
    watch.done();
    return routerError("bad_gateway", "upstream closed its stream before sending anything");
  }

  let ended = false;
  const end = (how: StreamEnd) => {
    if (!ended) (ended = true), watch.done(), onEnd(how);
  };
  return directStream(
    async (c) => {
      try {
        let out = head;
        for (;;) {
          for (const s of out) await write(c, bytes.encode(s));
          if (upstreamEnded) break;
          out = await step();
        }
        end(failure ? "broken" : "done");
      } catch {
        end("cancelled"); // writing failed: the client is gone
      }
      c.close();
    },
    (reason) => {
      end("cancelled");
      reader.cancel(reason).catch(() => {});
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
    else this.list.push(s), (this.open = true);
  }

  boundary(): void {
    this.list.push("");
    this.open = false;
  }
}
