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
export type StreamEnd = "done" | "broken" | "cancelled";

export interface ByteEditor {
  push(chunk: Uint8Array): Uint8Array;
  end(): Uint8Array;
  /** Whether what went through ended with the format's end marker; false = truncated. */
  complete?(): boolean;
  /** The client format's in-stream error, written when the upstream broke off mid-stream. */
  fail?(): Uint8Array;
}

export interface DirectController {
  write(data: string | Uint8Array): number | Promise<number>;
  flush(): number | Promise<number>;
  close(error?: Error): void;
}

/** Source for `new ReadableStream(...)` in Bun's direct mode, typed without lib.dom. */
export function directStream(pull: (c: DirectController) => Promise<void>, cancel: (reason: unknown) => void): ReadableStream<Uint8Array> {
  return new ReadableStream({ type: "direct", pull, cancel } as unknown as ConstructorParameters<typeof ReadableStream<Uint8Array>>[0]);
}

export async function write(c: DirectController, data: string | Uint8Array): Promise<void> {
  if (data.length === 0) return;
  const pending = c.write(data);
  if (typeof pending !== "number") await pending; // backpressure
  const flushed = c.flush();
  if (typeof flushed !== "number") await flushed;
}

/**
 * Reads the first chunk, then returns a stream that writes it and everything after, edited.
 * Resolves to "broken" when the upstream fails or ends before sending anything.
 */
/** Hooks an upstream call's time limits into its body: every chunk resets the idle limit. */
export interface BodyWatch {
  chunk(): void;
  done(): void;
}

const NO_WATCH: BodyWatch = { chunk() {}, done() {} };

export async function relay(body: ReadableStream<Uint8Array>, editor: ByteEditor, onEnd: (how: StreamEnd) => void, watch: BodyWatch = NO_WATCH): Promise<ReadableStream<Uint8Array> | "broken"> {
  const reader = body.getReader();
  let first: Uint8Array | undefined;
  try {
    // Skip empty reads; a body that ends before its first byte is a failed attempt.
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      if (r.value.length) {
        first = r.value;
        watch.chunk();
        break;
      }
    }
  } catch {
    first = undefined;
  }
  if (!first) {
    watch.done();
    reader.cancel().catch(() => {});
    return "broken"; // not committed: the caller accounts for the failed attempt
  }
  let ended = false;
  const end = (how: StreamEnd) => {
    if (!ended) (ended = true), watch.done(), onEnd(how);
  };
  return directStream(
    async (c) => {
      let how: StreamEnd = "done";
      try {
        await write(c, editor.push(first!));
        for (;;) {
          let r: Awaited<ReturnType<typeof reader.read>>;
          try {
            r = await reader.read();
          } catch {
            how = "broken";
            break;
          }
          if (r.done) break;
          watch.chunk();
          await write(c, editor.push(r.value));
        }
        await write(c, editor.end());
        // An upstream that closed without its end marker is a failure, never a finished answer.
        if (how === "done" && editor.complete?.() === false) how = "broken";
        // Where the format has an in-stream error, the client gets one instead of a cut connection.
        if (how === "broken" && editor.fail) await write(c, editor.fail());
      } catch {
        how = "cancelled"; // writing failed: the client is gone
      }
      end(how);
      if (how === "broken" && !editor.fail) c.close(new Error("upstream connection broke mid-stream"));
      else c.close();
    },
    (reason) => {
      end("cancelled");
      reader.cancel(reason).catch(() => {});
    },
  );
}
