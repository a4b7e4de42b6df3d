/**
 * A selector worker: one long-lived jq main() running the combined program over a stream of request
 * bodies (persistent mode, shared/docs/jq-engine.md "Recommended engine design"). jq blocks in its stdin
 * read between requests; that is where this thread waits for the next body and reports the last result.
 *
 * Deadlines are enforced here, from jq_tick (the fuel hook): each selector gets `timeoutMs` from the
 * moment the previous output line appeared, plus what is left of the job's allowance for its body size. Interrupting jq leaves its C state unusable, so the
 * instance is replaced (a few ms: the compiled module is reused) and main() restarts.
 */
import { createJq, decode, type JqModule } from "./jq";
import {
  CTL,
  PARSE_MS_PER_MIB,
  RECYCLE_MEMORY_BYTES,
  type JobEnd,
  type WorkerInit,
  type WorkerMessage,
} from "./protocol";
import { PERSISTENT_FLAGS } from "./program";

declare const self: {
  onmessage: ((e: MessageEvent<WorkerInit>) => void) | null;
  postMessage(msg: WorkerMessage): void;
};

const PROGRAM_FILE = "/selectors.jq";
const MAX_ERR_CHARS = 2_000;
/**
 * This thread lives blocked inside jq's stdin read, never idle in an event loop where the garbage
 * collector's timers would run, so left alone its heap grows by ~20 MB of per-job leftovers before
 * allocation pressure collects it. A collection every so many jobs costs ~0.2 ms.
 */
const JOBS_PER_COLLECTION = 256;

/** Thrown from a hook to unwind jq; never escapes this file. */
class Interrupt extends Error {
  constructor(readonly end: JobEnd | "recycle") {
    super(`jq interrupted: ${end}`);
  }
}

interface Job {
  seq: number;
  lines: number;
  deadline: number;
  /** performance.now() of the last output line. */
  lineAt: number;
  /** What is left of the allowance the selectors share (CTL.ALLOWANCE). */
  spare: number;
}

function run(init: WorkerInit): Promise<void> {
  const ctl = new Int32Array(init.ctl);
  const post = (msg: WorkerMessage) => self.postMessage(msg);
  let jq: JqModule | undefined;
  let job: Job | undefined;
  let lastSeq = Atomics.load(ctl, CTL.SEQ);
  let announce = 0;
  let recycled = false;
  let shutdown = false;
  let jobsSinceCollection = 0;

  const finish = (end: JobEnd, message?: string) => {
    if (!job || !jq) return;
    const { stdout, stderr } = jq.jqTakeOutput();
    post({
      t: "result",
      seq: job.seq,
      end,
      out: decode(stdout),
      err: decode(stderr).slice(0, MAX_ERR_CHARS),
      message,
    });
    job = undefined;
  };

  const onStdinEmpty = (): Uint8Array | null => {
    // jq reads again only once every value of the previous input has been processed and flushed.
    if (job) {
      finish("ok");
      if (jq!.jqMemoryBytes() > RECYCLE_MEMORY_BYTES) throw new Interrupt("recycle");
      if (++jobsSinceCollection >= JOBS_PER_COLLECTION) {
        jobsSinceCollection = 0;
        Bun.gc(false);
      }
    }
    if (announce >= 0) {
      // The first read of a new instance: the program has compiled.
      post({ t: "ready", restart: announce, recycled });
      announce = -1;
    }
    for (;;) {
      const seq = Atomics.load(ctl, CTL.SEQ);
      if (Atomics.load(ctl, CTL.SHUTDOWN)) {
        shutdown = true;
        return null;
      }
      if (seq !== lastSeq) {
        lastSeq = seq;
        jq!.jqTakeOutput(); // whatever came before this job is not its output
        const len = Atomics.load(ctl, CTL.LEN);
        Atomics.store(ctl, CTL.PROGRESS, 0);
        const now = performance.now();
        job = {
          seq,
          lines: 0,
          deadline: now + init.timeoutMs + (len / 1048576) * PARSE_MS_PER_MIB,
          lineAt: now,
          spare: Atomics.load(ctl, CTL.ALLOWANCE),
        };
        return new Uint8Array(init.data, 0, len);
      }
      Atomics.wait(ctl, CTL.SEQ, seq);
    }
  };

  const onStdout = (bytes: Uint8Array) => {
    if (!job) return;
    let lines = 0;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
    if (lines === 0) return;
    const now = performance.now();
    // Time a selector took past its own timeoutMs comes out of the shared allowance. The first line
    // ends parsing, which has a budget of its own.
    if (job.lines > 0)
      job.spare = Math.max(0, job.spare - Math.max(0, now - job.lineAt - lines * init.timeoutMs));
    job.lines += lines;
    job.lineAt = now;
    job.deadline = now + init.timeoutMs + job.spare;
    Atomics.store(ctl, CTL.PROGRESS, job.lines);
  };

  const onTick = () => {
    if (Atomics.load(ctl, CTL.SHUTDOWN)) throw new Interrupt("cancelled");
    if (!job) return;
    if (Atomics.load(ctl, CTL.CANCEL) === job.seq && Atomics.load(ctl, CTL.CANCEL_AT) === job.lines)
      throw new Interrupt("cancelled");
    if (performance.now() > job.deadline) throw new Interrupt("timeout");
  };

  return (async () => {
    for (let restart = 0; !shutdown && !Atomics.load(ctl, CTL.SHUTDOWN); restart++) {
      if (jq) {
        // The replaced instance's memory is only given back once its wasm Memory is collected.
        jq = undefined;
        jobsSinceCollection = 0;
        Bun.gc(false);
      }
      jq = await createJq(init.wasmModule, {
        onStdinEmpty,
        onStdout,
        onTick,
        onPrintErr: () => {},
      });
      jq.jqWriteFile(PROGRAM_FILE, init.program);
      announce = restart;
      let status: number;
      try {
        status = jq.jqMain([...PERSISTENT_FLAGS, "-f", PROGRAM_FILE, "/dev/stdin"]);
      } catch (err) {
        recycled = err instanceof Interrupt && err.end === "recycle";
        if (err instanceof Interrupt) {
          if (!recycled) finish(err.end as JobEnd);
        } else if (job) {
          // A trap (e.g. C stack overflow) or an abort (the 256 MiB heap limit) inside a selector.
          finish("crash", String((err as Error)?.message ?? err));
        } else {
          post({
            t: "fatal",
            message: `jq failed outside a request: ${String((err as Error)?.message ?? err)}`,
          });
          return;
        }
        continue;
      }
      if (!shutdown) {
        const { stderr } = jq.jqTakeOutput();
        post({ t: "fatal", message: `jq exited with status ${status}: ${decode(stderr).trim()}` });
        return;
      }
    }
  })();
}

self.onmessage = (e) => {
  self.onmessage = null;
  run(e.data).catch((err: unknown) =>
    self.postMessage({ t: "fatal", message: String((err as Error)?.message ?? err) }),
  );
};
