/**
 * What the pump writes to the client, and how: a Bun "direct" stream, whose writes go straight to
 * the socket with no queue and no chain of TransformStreams in between (each stage costs CPU on
 * every chunk; BENCHMARKS.md has the figures).
 */

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
 * A write that leaves in a network write of its own: what came before is flushed first, and it is
 * flushed at once. The in-stream error is written so: the Gemini SDK only recognises a bare JSON
 * error when a network read holds nothing else.
 */
export class Alone {
  constructor(readonly data: string | Uint8Array) {}
}

export type Write = string | Uint8Array | Alone;

/**
 * The writes of one turn of the pump, in as few entries as possible: each write is a trip through
 * the direct stream and makes its close dearer, so text that follows text joins it. Bytes are kept
 * as they are (joining them would copy). The list is reused from turn to turn.
 */
export class Writes {
  readonly list: Write[] = [];
  /** Whether the last entry is text that may still grow. */
  private open = false;
  /** An error went out in this stream (at any turn). */
  erred = false;

  add(data: string | Uint8Array): void {
    if (data.length === 0) return;
    if (this.open && typeof data === "string") this.list[this.list.length - 1] += data;
    else (this.list.push(data), (this.open = typeof data === "string"));
  }

  /** The stream's in-stream error: alone in its network write. */
  error(data: string | Uint8Array): void {
    if (data.length === 0) return;
    this.list.push(new Alone(data));
    this.open = false;
    this.erred = true;
  }

  empty(): boolean {
    return this.list.length === 0;
  }

  /** Whether the first write is an error: nothing of an answer came before it. */
  opensWithError(): boolean {
    return this.list[0] instanceof Alone;
  }

  clear(): void {
    this.list.length = 0;
    this.open = false;
  }
}

/**
 * Writes without a turn of the microtask queue unless the socket pushes back: a write and a close
 * in the same turn leave as one packet. `step` is where an Alone write resumes after a push-back
 * (0: flush before, 1: write, 2: flush after).
 */
export function send(
  c: DirectController,
  writes: readonly Write[],
  from = 0,
  step = 0,
): Promise<void> | undefined {
  for (let i = from; i < writes.length; i++, step = 0) {
    const w = writes[i]!;
    if (!(w instanceof Alone)) {
      const pending = c.write(w);
      if (typeof pending !== "number") return pending.then(() => send(c, writes, i + 1));
      continue;
    }
    for (; step < 3; step++) {
      const pending = step === 1 ? c.write(w.data) : c.flush();
      if (typeof pending !== "number") {
        const next = step + 1;
        return pending.then(() => send(c, writes, i, next));
      }
    }
  }
  return undefined;
}
