import type { StreamEvent } from "../ir";
import type { StreamDecoder, StreamEncoder } from "../wire/codec";
import { SseFramer } from "../wire/sse/frames";

/**
 * Upstream bytes → client bytes through the two stream codecs, in one stage: each upstream read
 * is framed, decoded into neutral events and re-encoded at once, so nothing is buffered beyond
 * one frame and no chain of stream objects sits between the two sockets. (Bun's "direct"
 * streams write strings straight to the socket, without a queue or a TextEncoder in between.)
 *
 * A connection that breaks mid-stream ends the stream like an early close, so the decoder sees an
 * unfinished stream and the client gets its format's in-stream error rather than a cut
 * connection. Cancelling (the client left) reaches the upstream.
 */
export function convertStream(
  body: ReadableStream<Uint8Array>,
  decoder: StreamDecoder,
  encoder: StreamEncoder,
  onEvent?: (e: StreamEvent) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const text = new TextDecoder();
  const framer = new SseFramer();

  return new ReadableStream({
    type: "direct",
    async pull(controller: { write(s: string): void; flush(): unknown; close(): void }) {
      let out = "";
      const encode = (events: StreamEvent[]) => {
        for (const e of events) {
          onEvent?.(e);
          // An error goes out in a write of its own: the Gemini SDK only recognises a bare
          // JSON error when a network read holds nothing else.
          if (e.type === "error" && out) (controller.write(out), controller.flush(), (out = ""));
          out += encoder.push(e);
        }
      };
      for (;;) {
        let chunk: string | undefined;
        try {
          const { done, value } = await reader.read();
          chunk = done ? undefined : text.decode(value, { stream: true });
        } catch {
          chunk = undefined; // a broken upstream connection ends like an early close
        }
        if (chunk === undefined) break;
        for (const f of framer.push(chunk)) encode(decoder.push(f));
        if (out) (controller.write(out), controller.flush(), (out = ""));
      }
      for (const f of [...framer.push(text.decode()), ...framer.end()]) encode(decoder.push(f));
      encode(decoder.end());
      out += encoder.end();
      if (out) controller.write(out);
      controller.close();
    },
    cancel: (reason: unknown) => reader.cancel(reason),
  } as unknown as ConstructorParameters<typeof ReadableStream<Uint8Array>>[0]);
}
