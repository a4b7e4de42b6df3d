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
  const framer = new SseFramer();
  let upstreamEnded = false;
  let failure: RouterError | undefined; // an error event seen in the stream

  /** Reads one upstream chunk and returns the client text it produces ("" when none yet). */
  async function step(): Promise<string[]> {
    let chunk: string | undefined;
    try {
      const { done, value } = await reader.read();
      if (!done) watch.chunk();
      chunk = done ? undefined : text.decode(value, { stream: true });
    } catch {
      chunk = undefined; // a broken upstream connection ends like an early close
    }
    const events: StreamEvent[] = [];
    if (chunk === undefined) {
      upstreamEnded = true;
      for (const f of [...framer.push(text.decode()), ...framer.end()]) events.push(...decoder.push(f));
      events.push(...decoder.end());
    } else {
      for (const f of framer.push(chunk)) events.push(...decoder.push(f));
    }
    const out: string[] = [];
    for (const e of events) {
      // An error goes out in a write of its own: the Gemini SDK only recognises a bare JSON
      // error when a network read holds nothing else.
      if (e.type === "error") {
        const held = encoder.flush?.();
        if (held) out.push(held);
        failure ??= e.error;
        out.push("");
      }
      const s = encoder.push(e);
      if (s) out.push(s);
    }
    if (upstreamEnded) out.push(encoder.end());
    return out;
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
          for (const s of out) await write(c, s);
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
