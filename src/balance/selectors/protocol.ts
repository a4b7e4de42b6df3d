/**
 * What the engine's main thread and its workers share. Bodies travel through a growable
 * SharedArrayBuffer because the worker waits for them inside jq's blocking stdin read, where it cannot
 * receive messages; results come back as ordinary messages.
 */

/** Int32 slots of the control buffer. */
export const CTL = {
  /** Bumped by the main thread for every job (and on shutdown, so a waiting worker always wakes). */
  SEQ: 0,
  /** Byte length of the job's input in the data buffer. */
  LEN: 1,
  /** Set to a job's SEQ to interrupt it while its PROGRESS still equals CANCEL_AT (that selector was quarantined). */
  CANCEL: 2,
  CANCEL_AT: 5,
  /** Output lines the current job has produced so far: 0 while parsing, 1 + i while selector i runs. */
  PROGRESS: 3,
  SHUTDOWN: 4,
  /** Milliseconds the job's selectors may share on top of their own timeoutMs each (SELECT_MS_PER_MIB). */
  ALLOWANCE: 6,
} as const;
export const CTL_SLOTS = 8;

export interface WorkerInit {
  wasmModule: WebAssembly.Module;
  ctl: SharedArrayBuffer;
  data: SharedArrayBuffer;
  program: string;
  /** Budget per selector; parsing gets this plus PARSE_MS_PER_MIB for each MiB of input. */
  timeoutMs: number;
}

/**
 * Parsing runs at ~5 ms/MiB here for long text, ~40 ms/MiB for an agent conversation (many small
 * objects); the margin covers a loaded machine.
 */
export const PARSE_MS_PER_MIB = 120;

/**
 * What a request's selectors may share per MiB of body, on top of timeoutMs each: walking a body
 * (`..`) costs time in proportion to its size, ~150 ms/MiB for an agent conversation here, so a
 * fixed deadline would fail sound selectors on large bodies. Shared rather than per selector, so a
 * request holds a worker for a time linear in its size however many selectors its group has.
 */
export const SELECT_MS_PER_MIB = 300;

/**
 * Above this much wasm memory after a job, the worker starts a fresh instance: wasm memory never
 * shrinks, so one large body would otherwise keep its worker that much bigger for good. jq starts
 * with 16 MiB and stays there for bodies up to a few MiB; a fresh instance costs ~10 ms, small next
 * to parsing a body that needed more.
 */
export const RECYCLE_MEMORY_BYTES = 32 * 1024 * 1024;

export type JobEnd = "ok" | "timeout" | "cancelled" | "crash";

export type WorkerMessage =
  /**
   * An instance is compiled and waiting for input; `restart` counts the instances before it.
   * `recycled`: the one before was retired for its memory, not broken by a selector.
   */
  | { t: "ready"; restart: number; recycled: boolean }
  | { t: "result"; seq: number; end: JobEnd; out: string; err: string; message?: string }
  /** The program cannot run at all (it should have been checked at load): the worker stops. */
  | { t: "fatal"; message: string };
