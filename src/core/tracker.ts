import type { StreamEnd } from "../attempt";
import type { Usage } from "../ir";
import { newRequestId, requestTimer, type Logger, type RequestTimer } from "../log";
import type { Metrics } from "../metrics";
import type { Ticket } from "../teams";
import type { CallObserver } from "./call-group";

/**
 * Where a request's one log line stands. It is written once the request is really over: when its
 * answer was handed out and, for a committed answer, its stream has ended.
 *
 *   pending ──attempt ok──▶ committed ──answered──▶ streaming ──ended──▶ logged
 *    │   │                       │                                        ▲
 *    │   └───ended───▶ ended ◀───┘ ended                                  │
 *    │                   └──────────────────answered──────────────────────┤
 *    └──answered (nothing was committed)──────────────────────────────────┘
 *
 * A whole answer (JSON, a token count) reports its end before the attempt is counted: "ended"
 * then comes first.
 */
type Stage = "pending" | "committed" | "ended" | "streaming" | "logged";

/**
 * One request's bookkeeping: its id, its clock, and the single log line and metrics record
 * written when it is really over. It is also the call's observer. A class, not a bundle of
 * closures: one object per request.
 */
export class Tracker implements CallObserver {
  readonly id: string;
  group: string | undefined;
  /** Model listings are not model calls: no request line for them. */
  quiet = false;
  /** The name of the key that asked, once known. */
  key: string | undefined;
  /** The request's admission under its key's limits: settled once, when the request is over. */
  ticket: Ticket | undefined;
  /** An attempt committed an answer: what it used is spent. */
  private served = false;
  /** The committed answer stopped before its end: its usage may be partial. */
  private cut = false;
  private stage: Stage = "pending";
  private readonly timer: RequestTimer;
  private model: string | undefined;
  private attempts = 0;
  private status = 0;
  private tokens: Usage | undefined;
  private affinity: string | undefined;
  private servedBy: string | undefined;
  /** The error an answer of failed attempts carries, for the request line. */
  private error: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly format: string,
  ) {
    this.timer = requestTimer(newRequestId());
    this.id = this.timer.id;
  }

  attempt(model: string, outcome: "ok" | "retryable_error" | "error" | "aborted"): void {
    this.model = model;
    this.attempts++;
    if (outcome === "ok") this.served = true;
    if (outcome === "ok" && this.stage === "pending") this.stage = "committed";
    this.metrics?.recordAttempt({ model, outcome });
  }

  /** Handed on as a plain function (to the conversion), so it is bound to this request. */
  readonly usage = (u: Usage): void => void (this.tokens = u);

  routed(how: { affinity?: string; group?: string }): void {
    this.affinity = how.affinity;
    this.servedBy = how.group !== this.group ? how.group : undefined;
  }

  failed(error: string): void {
    this.error = error;
  }

  failover(from: string, to: string): void {
    this.metrics?.recordFailover({ group: this.group ?? "", from, to });
  }

  selector(outcome: string): void {
    // "skipped" (quarantined or body over the cap) is reported with errors: it decided nothing.
    const o =
      outcome === "match" || outcome === "no_match" || outcome === "timeout" ? outcome : "error";
    this.metrics?.recordSelector({ group: this.group ?? "", outcome: o });
  }

  ended(_model?: string, _attempts?: number, how?: StreamEnd): void {
    if (how && how !== "done") this.cut = true;
    if (this.stage === "streaming") this.finish();
    else if (this.stage !== "logged") this.stage = "ended";
  }

  answered(res: Response, error?: string): Response {
    this.timer.firstByte();
    this.status = res.status;
    res.headers.set("x-llm-router-request-id", this.id);
    if (this.quiet) return res;
    // A committed answer is logged when its stream has ended; everything else now.
    if (this.stage === "committed") this.stage = "streaming";
    else this.finish(error ?? this.error);
    return res;
  }

  private finish(error?: string): void {
    if (this.stage === "logged") return;
    this.stage = "logged";
    const { timer, tokens: usage } = this;
    const tokens = usage && {
      input: usage.input + usage.cacheRead + usage.cacheWrite,
      output: usage.output,
    };
    const served = this.served && this.model !== undefined && this.group !== undefined;
    // Frees the key's parallel slot and corrects its tokens even when nothing was served.
    const spent = this.ticket?.settle(
      served ? { group: this.group!, model: this.model!, usage, cut: this.cut } : undefined,
    );
    if (spent && this.ticket)
      this.metrics?.recordSpend({
        key: this.ticket.key,
        group: this.group,
        model: this.model,
        tokens: spent.tokens,
        usd: spent.usd,
      });
    timer.finish(this.log, {
      format: this.format,
      key: this.key,
      group: this.group,
      model: this.model,
      servedBy: this.servedBy,
      affinity: this.affinity,
      attempts: this.attempts,
      status: this.status,
      error,
      usage: usage && { ...usage, input: tokens!.input },
      costUsd: spent?.usd,
      metadata: this.ticket?.metadata,
    });
    this.metrics?.recordRequest({
      format: this.format,
      group: this.group,
      model: this.model,
      status: this.status,
      attempts: this.attempts,
      totalMs: timer.elapsedMs(),
      ttfbMs: timer.firstByteMs(),
    });
  }
}
