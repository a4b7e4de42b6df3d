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
import { Evaluation, type EngineState, type EvalTask, type GroupPlan } from "./evaluation";
import { loadJqModule } from "./jq";
import { WorkerPool } from "./pool";
import { combinedProgram, usesTokens } from "./program";
import { type Entry, QuarantineList } from "./quarantine";
import type { GroupSelectors, SelectorLog, SelectorOutcome } from "./types";

export type { GroupSelectors, SelectorLog, SelectorOutcome } from "./types";

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

const DEFAULTS = {
  timeoutMs: 100,
  workers: 2,
  maxBodyBytes: 32 * 1024 * 1024,
  quarantineMs: 30_000,
};
const RS = 0x1e;

export class SelectorEngine {
  private constructor(
    private readonly plans: Map<string, GroupPlan>,
    private readonly pool: WorkerPool | undefined,
    private readonly state: EngineState,
    private readonly maxBodyBytes: number,
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
    const { plans, sources } = await planGroups(groups);
    const engine: { current?: SelectorEngine } = {};
    const state: EngineState = {
      quarantine: new QuarantineList(o.quarantineMs, opts.now ?? Date.now, log, (e) =>
        engine.current?.cancelStuckOn(e),
      ),
      log,
      counts: { evaluations: 0, timeouts: 0, errors: 0, restarts: 0 },
      closed: false,
    };
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
          if (engine.current) state.counts.restarts++;
          if (kind === "worker_lost") log("warn", "selector worker replaced", { reason: message });
        },
      });
    }
    engine.current = new SelectorEngine(plans, pool, state, o.maxBodyBytes);
    if (o.waitUntilReady !== false) await engine.current.ready;
    return engine.current;
  }

  /**
   * Whether some selector of `group` reads `$tokens`, so the request's tokens are worth estimating
   * before evaluate(); decided once, when the engine was created. False for an unknown group.
   */
  needsTokens(group: string): boolean {
    return this.plans.get(group)?.usesTokens ?? false;
  }

  /** Settles once the combined program runs in a worker; rejects (the engine is then closed) if it cannot. */
  get ready(): Promise<void> {
    return this.pool?.ready ?? Promise.resolve();
  }

  /**
   * One outcome per member of `group`; throws for a group that was not given to create().
   * `format` is the inbound format's id, bound as `$format`: the engine passes it through unread.
   * `tokens`, the request's estimated input tokens, is bound as `$tokens` (null when not given).
   */
  async evaluate(
    group: string,
    body: Uint8Array,
    format: string,
    tokens?: number,
  ): Promise<SelectorOutcome[]> {
    const plan = this.plans.get(group);
    if (!plan) throw new Error(`selector engine: unknown group "${group}"`);
    const run = new Evaluation(this.state, plan, group, format, body, tokens);
    if (plan.entries.length === 0 || this.state.closed || !this.pool) return run.out;
    this.state.counts.evaluations++;
    if (body.length > this.maxBodyBytes) {
      this.state.log("info", "selectors not evaluated: body above the cap", {
        group,
        bytes: body.length,
        cap: this.maxBodyBytes,
      });
      return run.out;
    }
    if (body.includes(RS)) {
      // Not JSON anyway, and it would split jq's --seq input stream.
      run.decideAll(plan.entries, "error", "body contains a 0x1E byte, not JSON");
      return run.out;
    }
    const admission = this.state.quarantine.admission();
    await run.passes(this.pool, plan.entries, admission.admit);
    admission.end();
    // Quarantine alone never leaves the group with nobody to serve: when nothing else matched, the
    // quarantined selectors decide after all. Treating them as eligible unasked would route requests
    // their selector exists to keep away; asking them costs at most their deadline, and only then.
    if (admission.held.length > 0 && !run.out.includes("match")) {
      this.state.log("debug", "no other member eligible: evaluating quarantined selectors", {
        group,
        members: admission.held.map((e) => e.member),
      });
      await run.passes(this.pool, admission.held, () => true);
    }
    return run.out;
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
      ...this.state.counts,
      quarantined: this.state.quarantine.keys(),
      workers: this.pool?.workers ?? 0,
    };
  }

  /** Stops the workers; evaluations after this resolve with "skipped" for every selector member. */
  async close(): Promise<void> {
    this.state.closed = true;
    await this.pool?.close();
  }
}

/** Checks every group's selectors (all problems in one error) and numbers them in one program. */
async function planGroups(
  groups: GroupSelectors[],
): Promise<{ plans: Map<string, GroupPlan>; sources: string[] }> {
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
    plans.set(group, {
      size: members.length,
      entries,
      metas: new Map(),
      usesTokens: entries.some((e) => usesTokens(e.source)),
    });
  }
  if (problems.length > 0) throw new Error(`invalid selectors:\n  ${problems.join("\n  ")}`);
  return { plans, sources };
}
