/**
 * SelectorEngine: decides, per request, which members of a group are eligible by their jq selectors.
 *
 * All selectors of all groups are one combined program, compiled once per worker. A request runs the
 * selectors of its group in one pass over one parse of the body. When that pass is cut short (a
 * selector ran past its deadline, trapped or hit the memory limit), the selector that was running is
 * the culprit: it is not eligible for this request and the rest of the group is evaluated again
 * without it, so one bad selector never decides for its neighbours. On a small body the culprit is
 * also quarantined; a quarantined selector is retried by a single request once its time is up, and the
 * quarantine doubles (up to 16×) each time it fails again. A large body may be what made a sound
 * selector fail, so there the failure costs that request only: one crafted body must not take a
 * selector away from everyone. Nor can quarantine alone leave a group with nobody eligible.
 */
import { checkSelector, type SelectorCheck } from "./check";
import { loadJqModule } from "./jq";
import { WorkerPool, type PoolResult, type PoolTask } from "./pool";
import {
  INPUT_PREFIX,
  combinedProgram,
  inputMeta,
  inputSuffix,
  newNonce,
  parseStep,
} from "./program";
import { SELECT_MS_PER_MIB } from "./protocol";
import { type Entry, QuarantineList } from "./quarantine";

export type InboundFormat = "openai" | "anthropic" | "gemini";
/** "skipped": not evaluated (body above the cap, or the selector is quarantined). Only "match" is eligible. */
export type SelectorOutcome = "match" | "no_match" | "error" | "timeout" | "skipped";
export type SelectorLog = (
  level: "debug" | "info" | "warn",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface SelectorEngineOptions {
  /** Per selector, from the end of the previous one (parsing, and the selectors together, get extra time per MiB). Default 100. */
  timeoutMs?: number;
  /**
   * Most worker threads. Default 2: one can be stuck on a bad selector while the other serves. Only the
   * first starts with the engine; the other when the first is held up or was restarted (pool.ts).
   */
  workers?: number;
  /**
   * Default true: create() resolves once a worker has compiled the program. With false it resolves
   * once the selectors are checked; evaluations wait for the worker, and `ready` tells whether it came up.
   */
  waitUntilReady?: boolean;
  /** How long the spare worker may sit idle before it is stopped. Default 30 s. */
  spareIdleMs?: number;
  /** Bodies larger than this are not evaluated (selector members → "skipped"). Default 32 MiB. */
  maxBodyBytes?: number;
  /** First quarantine of a culprit selector. Default 30 s. */
  quarantineMs?: number;
  now?: () => number;
  log?: SelectorLog;
}

/** One entry per group member, undefined = no selector (always eligible). */
export interface GroupSelectors {
  group: string;
  sources: (string | undefined)[];
}

interface GroupPlan {
  size: number;
  entries: Entry[];
  /** inputMeta() per format and selector list, as most requests of a group look alike. */
  metas: Map<string, string>;
}

const DEFAULTS = {
  timeoutMs: 100,
  workers: 2,
  maxBodyBytes: 32 * 1024 * 1024,
  quarantineMs: 30_000,
};
const RS = 0x1e;

/** One evaluate() call: what its passes share. */
interface Evaluation {
  plan: GroupPlan;
  group: string;
  format: InboundFormat;
  body: Uint8Array;
  out: SelectorOutcome[];
  /** The selectors' shared allowance for the body's size; spent once a pass is cut short. */
  allowanceMs: number;
}

/** A pool job; `used` tells which selectors it ran, so quarantine can cancel jobs stuck on a culprit. */
class EvalTask implements PoolTask {
  used: Entry[] = [];
  mark = "";
  constructor(
    private readonly pick: () => Entry[],
    private readonly meta: (used: Entry[]) => string,
    readonly body: Uint8Array,
    private readonly allowanceMs: number,
  ) {}
  prepare() {
    this.used = this.pick();
    if (this.used.length === 0) return null;
    const { nonce, mark } = newNonce();
    this.mark = mark;
    return {
      chunks: [INPUT_PREFIX, this.body, inputSuffix(this.meta(this.used), nonce)],
      selectors: this.used.length,
      allowanceMs: this.allowanceMs,
    };
  }
}

export class SelectorEngine {
  private closed = false;
  private readonly counts = { evaluations: 0, timeouts: 0, errors: 0, restarts: 0 };

  private constructor(
    private readonly plans: Map<string, GroupPlan>,
    private readonly pool: WorkerPool | undefined,
    private readonly quarantine: QuarantineList,
    private readonly maxBodyBytes: number,
    private readonly log: SelectorLog,
  ) {}

  /** Checks every selector, then starts a worker compiling the combined program. */
  static async create(
    groups: GroupSelectors[],
    opts: SelectorEngineOptions = {},
  ): Promise<SelectorEngine> {
    // An option given as undefined means "the default", not "unset the default" (NaN deadlines).
    const given = Object.fromEntries(
      Object.entries(opts).filter(([, v]) => v !== undefined),
    ) as SelectorEngineOptions;
    const o = { ...DEFAULTS, ...given };
    const log: SelectorLog = opts.log ?? (() => {});
    const plans = new Map<string, GroupPlan>();
    const sources: string[] = [];
    const problems: string[] = [];
    const checks = new Map<string, Promise<SelectorCheck>>();
    for (const { group, sources: members } of groups) {
      if (plans.has(group)) throw new Error(`selector engine: group "${group}" given twice`);
      const entries: Entry[] = [];
      for (const [member, source] of members.entries()) {
        if (source === undefined) continue;
        if (!checks.has(source)) checks.set(source, checkSelector(source));
        const check = await checks.get(source)!;
        if (!check.ok)
          problems.push(
            `group "${group}" member ${member}: ${check.message}${check.line ? ` (selector line ${check.line})` : ""}`,
          );
        entries.push({ id: sources.length, group, member, source, key: `${group}#${member}` });
        sources.push(source);
      }
      plans.set(group, { size: members.length, entries, metas: new Map() });
    }
    if (problems.length > 0) throw new Error(`invalid selectors:\n  ${problems.join("\n  ")}`);
    const engine: { current?: SelectorEngine } = {};
    const quarantine = new QuarantineList(o.quarantineMs, opts.now ?? Date.now, log, (e) =>
      engine.current?.cancelStuckOn(e),
    );
    let pool: WorkerPool | undefined;
    if (sources.length > 0) {
      pool = await WorkerPool.open({
        wasmModule: await loadJqModule(),
        program: combinedProgram(sources),
        size: Math.max(1, o.workers),
        spareIdleMs: o.spareIdleMs,
        timeoutMs: o.timeoutMs,
        maxInputBytes: o.maxBodyBytes + 1024 * 1024,
        onEvent: (kind, message) => {
          if (engine.current) engine.current.counts.restarts++;
          if (kind === "worker_lost") log("warn", "selector worker replaced", { reason: message });
        },
      });
    }
    engine.current = new SelectorEngine(plans, pool, quarantine, o.maxBodyBytes, log);
    if (o.waitUntilReady !== false) await engine.current.ready;
    return engine.current;
  }

  /** Settles once the combined program runs in a worker; rejects (the engine is then closed) if it cannot. */
  get ready(): Promise<void> {
    return this.pool?.ready ?? Promise.resolve();
  }

  /** One outcome per member of `group`; throws for a group that was not given to create(). */
  async evaluate(
    group: string,
    body: Uint8Array,
    format: InboundFormat,
  ): Promise<SelectorOutcome[]> {
    const plan = this.plans.get(group);
    if (!plan) throw new Error(`selector engine: unknown group "${group}"`);
    const out: SelectorOutcome[] = new Array(plan.size).fill("match");
    if (plan.entries.length === 0) return out;
    for (const e of plan.entries) out[e.member] = "skipped";
    if (this.closed || !this.pool) return out;
    this.counts.evaluations++;
    if (body.length > this.maxBodyBytes) {
      this.log("info", "selectors not evaluated: body above the cap", {
        group,
        bytes: body.length,
        cap: this.maxBodyBytes,
      });
      return out;
    }
    if (body.includes(RS)) {
      // Not JSON anyway, and it would split jq's --seq input stream.
      this.decideAll(plan.entries, out, "error", "body contains a 0x1E byte, not JSON", group);
      return out;
    }
    const run: Evaluation = {
      plan,
      group,
      format,
      body,
      out,
      allowanceMs: (body.length / 1048576) * SELECT_MS_PER_MIB,
    };
    const admission = this.quarantine.admission();
    await this.passes(run, plan.entries, admission.admit);
    admission.end();
    // Quarantine alone never leaves the group with nobody to serve: when nothing else matched, the
    // quarantined selectors decide after all. Treating them as eligible unasked would route requests
    // their selector exists to keep away; asking them costs at most their deadline, and only then.
    if (admission.held.length > 0 && !out.includes("match")) {
      this.log("debug", "no other member eligible: evaluating quarantined selectors", {
        group,
        members: admission.held.map((e) => e.member),
      });
      await this.passes(run, admission.held, () => true);
    }
    return out;
  }

  /** Evaluates `pending` (those `admit` lets run) until each is decided, one pass per cut-short run. */
  private async passes(
    run: Evaluation,
    pending: Entry[],
    admit: (e: Entry) => boolean,
  ): Promise<void> {
    for (let round = 0; pending.length > 0 && round <= run.plan.entries.length; round++) {
      const task = new EvalTask(
        () => pending.filter(admit),
        (used) => this.meta(run.plan, run.group, run.format, used),
        run.body,
        run.allowanceMs,
      );
      const result = await this.pool!.run(task);
      if (!result) break;
      // A pass cut short has used up the allowance (or broke): later passes get none, so the time
      // one request holds a worker stays linear in its size.
      if (result.end !== "ok") run.allowanceMs = 0;
      pending = this.apply(task, result, run.out, run.group);
    }
  }

  private meta(plan: GroupPlan, group: string, format: string, used: Entry[]): string {
    const key = `${format}|${used.map((e) => e.id).join(",")}`;
    let meta = plan.metas.get(key);
    if (meta === undefined) {
      if (plan.metas.size > 64) plan.metas.clear();
      meta = inputMeta(
        group,
        format,
        used.map((e) => e.id),
      );
      plan.metas.set(key, meta);
    }
    return meta;
  }

  /** Records what a pass decided; returns the selectors still to evaluate. */
  private apply(
    task: EvalTask,
    result: PoolResult,
    out: SelectorOutcome[],
    group: string,
  ): Entry[] {
    const { used } = task;
    const { lines, end } = result;
    if (this.closed) {
      for (const e of used) out[e.member] = "skipped";
      return [];
    }
    if (
      (lines.length > 0 && lines[0] !== task.mark) ||
      (end === "ok" && lines.length !== used.length + 1)
    ) {
      const detail = result.err.trim().slice(0, 200);
      this.decideAll(
        used,
        out,
        "error",
        `body is not one JSON value${detail ? `: ${detail}` : ""}`,
        group,
      );
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
          out,
          "error",
          step.kind === "error" ? step.message : `unexpected jq output: ${step.line.slice(0, 100)}`,
        );
      this.quarantine.release(e);
    }
    if (end === "ok") return [];
    if (result.progress === 0) {
      // Cut short before any selector ran (jq was parsing the body, or no worker took it): none is to blame.
      const outcome = end === "timeout" ? "timeout" : "error";
      this.log("warn", "selectors not evaluated: jq stopped before any selector ran", {
        group,
        end,
        message: result.message,
      });
      for (const e of used) this.count((out[e.member] = outcome));
      return [];
    }
    const at = result.progress - 1;
    const culprit = used[at];
    if (!culprit) {
      this.decideAll(
        used.slice(decided),
        out,
        "error",
        `jq stopped after the last selector (${end})`,
        group,
      );
      return [];
    }
    // "cancelled": another request quarantined this selector while this one was running it.
    const outcome = end === "cancelled" ? "skipped" : end === "timeout" ? "timeout" : "error";
    this.count((out[culprit.member] = outcome));
    if (end !== "cancelled") this.quarantine.failed(culprit, end, result.message, task.body.length);
    // A lost worker took the finished selectors' answers with it: run those again too.
    return end === "lost" ? [...used.slice(0, at), ...used.slice(at + 1)] : used.slice(at + 1);
  }

  private decide(
    e: Entry,
    out: SelectorOutcome[],
    outcome: SelectorOutcome,
    message: string,
  ): void {
    this.count((out[e.member] = outcome));
    this.log("debug", "selector error", {
      group: e.group,
      member: e.member,
      selector: e.source,
      message,
    });
  }

  private decideAll(
    entries: Entry[],
    out: SelectorOutcome[],
    outcome: SelectorOutcome,
    message: string,
    group: string,
  ): void {
    for (const e of entries) this.count((out[e.member] = outcome));
    this.log("debug", "selectors not decided", {
      group,
      members: entries.map((e) => e.member),
      message,
    });
  }

  private count(outcome: SelectorOutcome): void {
    if (outcome === "timeout") this.counts.timeouts++;
    else if (outcome === "error") this.counts.errors++;
  }

  /** Jobs in flight that run a selector just quarantined are cut short when they reach it (or now). */
  private cancelStuckOn(culprit: Entry): void {
    for (const job of this.pool?.running() ?? []) {
      const at = (job.task as EvalTask).used.indexOf(culprit);
      if (at >= 0 && job.progress <= at + 1) job.cancel(at + 1);
    }
  }

  /** `workers`: threads running now (the spare only while isolation needs it). */
  stats(): {
    evaluations: number;
    timeouts: number;
    errors: number;
    restarts: number;
    quarantined: string[];
    workers: number;
  } {
    return {
      ...this.counts,
      quarantined: this.quarantine.keys(),
      workers: this.pool?.workers ?? 0,
    };
  }

  /** Stops the workers; evaluations after this resolve with "skipped" for every selector member. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
  }
}
