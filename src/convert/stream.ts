import type { StreamEvent } from "../ir";
import type { StreamDecoder, StreamEncoder, StreamFrame } from "../wire/codec";
import { sseFrameStream } from "../wire/sse/frames";

/**
 * Upstream bytes → client bytes through the two stream codecs: frames are decoded into neutral
 * events as they arrive and re-encoded at once, so nothing is buffered beyond one frame.
 * `onEvent` lets the caller watch events (usage, errors) without touching the bytes.
 */
export function convertStream(
  body: ReadableStream<Uint8Array>,
  decoder: StreamDecoder,
  encoder: StreamEncoder,
  onEvent?: (e: StreamEvent) => void,
): ReadableStream<Uint8Array> {
  const emit = (events: StreamEvent[], controller: TransformStreamDefaultController<string>) => {
    let out = "";
    for (const e of events) {
      onEvent?.(e);
      // An error goes out in a write of its own: the Gemini SDK only recognises a bare JSON
      // error when a network read holds nothing else.
      if (e.type === "error" && out) {
        controller.enqueue(out);
        out = "";
      }
      out += encoder.push(e);
    }
    if (out) controller.enqueue(out);
  };
  const codec = new TransformStream<StreamFrame, string>({
    transform: (frame, controller) => emit(decoder.push(frame), controller),
    flush: (controller) => {
      emit(decoder.end(), controller);
      const tail = encoder.end();
      if (tail) controller.enqueue(tail);
    },
  });
  // (The cast only bridges lib.dom's and Bun's typings of TextDecoderStream's writable side.)
  return closeOnError(body).pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).pipeThrough(sseFrameStream()).pipeThrough(codec).pipeThrough(new TextEncoderStream());
}

/**
 * A connection that breaks mid-stream ends the byte stream normally instead of erroring it, so
 * the decoder sees an unfinished stream and the client gets its format's in-stream error
 * rather than a cut connection. Cancelling (the client left) still reaches the upstream.
 */
function closeOnError(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
