/**
 * One evaluate() call: runs a group's selectors over one body in passes, and reads what each pass
 * decided. A pass cut short names its culprit (the selector it was running): the culprit is decided
 * alone, may be quarantined, and the selectors after it run again in the next pass.
 */
import type { PoolResult, PoolTask, WorkerPool } from "./pool";
import { INPUT_PREFIX, inputMeta, inputSuffix, newNonce, parseStep } from "./program";
import { SELECT_MS_PER_MIB } from "./protocol";
import type { Entry, QuarantineList } from "./quarantine";
import type { SelectorLog, SelectorOutcome } from "./types";

export interface GroupPlan {
  size: number;
  entries: Entry[];
  /** inputMeta() per format and selector list, as most requests of a group look alike. */
  metas: Map<string, string>;
  /** Some selector of the group reads `$tokens`. */
  usesTokens: boolean;
}

/** What all evaluations of one engine share; `closed` turns true when the engine closes. */
export interface EngineState {
  readonly quarantine: QuarantineList;
  readonly log: SelectorLog;
  readonly counts: { evaluations: number; timeouts: number; errors: number; restarts: number };
  closed: boolean;
}

/** A pool job; `used` tells which selectors it ran, so quarantine can cancel jobs stuck on a culprit. */
export class EvalTask implements PoolTask {
  used: Entry[] = [];
  mark = "";
  constructor(
    private readonly pick: () => Entry[],
    private readonly meta: (used: Entry[]) => string,
    readonly body: Uint8Array,
    private readonly allowanceMs: number,
    private readonly tokens: number | undefined,
  ) {}
  prepare() {
    this.used = this.pick();
    if (this.used.length === 0) return null;
    const { nonce, mark } = newNonce();
    this.mark = mark;
    return {
      chunks: [INPUT_PREFIX, this.body, inputSuffix(this.meta(this.used), nonce, this.tokens)],
      selectors: this.used.length,
      allowanceMs: this.allowanceMs,
    };
  }
}

export class Evaluation {
  /** One outcome per group member: "match" without a selector, "skipped" until its selector ran. */
  readonly out: SelectorOutcome[];
  /** The selectors' shared allowance for the body's size; spent once a pass is cut short. */
  private allowanceMs: number;

  constructor(
    private readonly engine: EngineState,
    private readonly plan: GroupPlan,
    private readonly group: string,
    private readonly format: string,
    private readonly body: Uint8Array,
    /** Bound as `$tokens`; null in jq when undefined. */
    private readonly tokens?: number,
  ) {
    this.out = new Array(plan.size).fill("match");
    for (const e of plan.entries) this.out[e.member] = "skipped";
    this.allowanceMs = (body.length / 1048576) * SELECT_MS_PER_MIB;
  }

  /** Evaluates `pending` (those `admit` lets run) until each is decided, one pass per cut-short run. */
  async passes(pool: WorkerPool, pending: Entry[], admit: (e: Entry) => boolean): Promise<void> {
    for (let round = 0; pending.length > 0 && round <= this.plan.entries.length; round++) {
      const task = new EvalTask(
        () => pending.filter(admit),
        (used) => this.meta(used),
        this.body,
        this.allowanceMs,
        this.tokens,
      );
      const result = await pool.run(task);
      if (!result) break;
      // A pass cut short has used up the allowance (or broke): later passes get none, so the time
      // one request holds a worker stays linear in its size.
      if (result.end !== "ok") this.allowanceMs = 0;
      pending = this.apply(task, result);
    }
  }

  private meta(used: Entry[]): string {
    const { metas } = this.plan;
    const key = `${this.format}|${used.map((e) => e.id).join(",")}`;
    let meta = metas.get(key);
    if (meta === undefined) {
      if (metas.size > 64) metas.clear();
      meta = inputMeta(
        this.group,
        this.format,
        used.map((e) => e.id),
      );
      metas.set(key, meta);
    }
    return meta;
  }

  /** Records what a pass decided; returns the selectors still to evaluate. */
  private apply(task: EvalTask, result: PoolResult): Entry[] {
    const { used } = task;
    const { lines, end } = result;
    const { out } = this;
    if (this.engine.closed) {
      for (const e of used) out[e.member] = "skipped";
      return [];
    }
    if (
      (lines.length > 0 && lines[0] !== task.mark) ||
      (end === "ok" && lines.length !== used.length + 1)
    ) {
      const detail = result.err.trim().slice(0, 200);
      this.decideAll(used, "error", `body is not one JSON value${detail ? `: ${detail}` : ""}`);
      return [];
    }
    const decided = Math.min(Math.max(0, lines.length - 1), used.length);
    for (let i = 0; i < decided; i++) {
      const e = used[i]!;
      const step = parseStep(lines[i + 1]!);
      if (step.kind === "match" || step.kind === "no_match") out[e.member] = step.kind;
      else
        this.decide(
          e,
          "error",
          step.kind === "error" ? step.message : `unexpected jq output: ${step.line.slice(0, 100)}`,
        );
      this.engine.quarantine.release(e);
    }
    if (end === "ok") return [];
    if (result.progress === 0) {
      // Cut short before any selector ran (jq was parsing the body, or no worker took it): none is to blame.
      const outcome = end === "timeout" ? "timeout" : "error";
      this.engine.log("warn", "selectors not evaluated: jq stopped before any selector ran", {
        group: this.group,
        end,
        message: result.message,
      });
      for (const e of used) this.count((out[e.member] = outcome));
      return [];
    }
    const at = result.progress - 1;
    const culprit = used[at];
    if (!culprit) {
      this.decideAll(used.slice(decided), "error", `jq stopped after the last selector (${end})`);
      return [];
    }
    // "cancelled": another request quarantined this selector while this one was running it.
    const outcome = end === "cancelled" ? "skipped" : end === "timeout" ? "timeout" : "error";
    this.count((out[culprit.member] = outcome));
    if (end !== "cancelled") {
      this.engine.quarantine.failed(culprit, end, result.message, task.body.length);
    }
    // A lost worker took the finished selectors' answers with it: run those again too.
    return end === "lost" ? [...used.slice(0, at), ...used.slice(at + 1)] : used.slice(at + 1);
  }

  private decide(e: Entry, outcome: SelectorOutcome, message: string): void {
    this.count((this.out[e.member] = outcome));
    this.engine.log("debug", "selector error", {
      group: e.group,
      member: e.member,
      selector: e.source,
      message,
    });
  }

  /** Gives every one of `entries` the same outcome, for one reason. */
  decideAll(entries: Entry[], outcome: SelectorOutcome, message: string): void {
    for (const e of entries) this.count((this.out[e.member] = outcome));
    this.engine.log("debug", "selectors not decided", {
      group: this.group,
      members: entries.map((e) => e.member),
      message,
    });
  }

  private count(outcome: SelectorOutcome): void {
    if (outcome === "timeout") this.engine.counts.timeouts++;
    else if (outcome === "error") this.engine.counts.errors++;
  }
}
