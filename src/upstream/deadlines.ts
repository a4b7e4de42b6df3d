import type { Timeouts } from "../config/types";
import { routerError, type RouterError } from "../ir";

/**
 * The time limits of one upstream call, as one AbortSignal that also carries the client's
 * disconnect. Phases: until response headers (`connect` for streams; a non-streamed answer sends
 * its headers only when complete, so `first_byte` there), until the first body byte
 * (`first_byte`, from the start), then at most `idle` between chunks; `total` bounds it all.
 * Whichever fires first aborts the fetch and is remembered, so the failure names it.
 *
 * One timer serves all limits, and a chunk only moves the idle limit's end: the timer, when it
 * fires, checks what really ran out and otherwise sleeps again until the nearest end. A stream
 * of many chunks so costs no timer work per chunk.
 */
export class Deadlines {
  readonly signal: AbortSignal;
  expired?: RouterError;
  private readonly controller = new AbortController();
  private readonly start = performance.now();
  private timer?: ReturnType<typeof setTimeout>;
  /** When the timer is due; Infinity when none is armed. */
  private due = Infinity;
  private phase: { kind: string; limit: number; end: number } | null = null;
  private readonly totalEnd: number;
  private over = false;

  constructor(
    private readonly limits: Timeouts,
    private readonly client: AbortSignal,
    private readonly stream: boolean,
  ) {
    // The client's disconnect is forwarded by a listener: AbortSignal.any costs several times more.
    this.signal = this.controller.signal;
    if (client.aborted) this.controller.abort(client.reason);
    else client.addEventListener("abort", this.forward);
    this.totalEnd = limits.total > 0 ? this.start + limits.total : Infinity;
    if (stream) this.setPhase("connect", limits.connect, this.start);
    else this.setPhase("first byte", limits.firstByte, this.start);
  }

  /** Response headers arrived. */
  headers(): void {
    if (this.stream) this.setPhase("first byte", this.limits.firstByte, this.start);
  }

  /** A body chunk arrived. */
  chunk(): void {
    if (this.over) return;
    const idle = this.limits.idle;
    if (this.phase?.kind === "idle") this.phase.end = performance.now() + idle;
    else this.setPhase("idle", idle, performance.now());
  }

  /** The exchange is over, however it ended. */
  done(): void {
    if (!this.over) this.client.removeEventListener("abort", this.forward);
    this.over = true;
    clearTimeout(this.timer);
    this.due = Infinity;
  }

  private readonly forward = () => this.controller.abort(this.client.reason);

  private setPhase(kind: string, limit: number, from: number): void {
    if (this.over) return;
    this.phase = limit > 0 ? { kind, limit, end: from + limit } : null;
    this.schedule(performance.now());
  }

  /** Arms the timer for the nearest end, unless it is already due no later than that. */
  private schedule(now: number): void {
    const next = Math.min(this.phase?.end ?? Infinity, this.totalEnd);
    if (next === Infinity || next >= this.due) return;
    clearTimeout(this.timer);
    this.due = next;
    this.timer = setTimeout(() => this.check(), Math.max(0, next - now));
  }

  private check(): void {
    this.due = Infinity;
    if (this.over || this.expired || this.signal.aborted) return;
    const now = performance.now();
    // A timer may fire a little early; a limit has run out only once its end is reached.
    if (now >= this.totalEnd - 1) return this.expire("total", this.limits.total);
    if (this.phase && now >= this.phase.end - 1)
      return this.expire(this.phase.kind, this.phase.limit);
    this.schedule(now);
  }

  private expire(kind: string, limit: number): void {
    this.expired = routerError(
      "timeout",
      `upstream ${kind} timeout: nothing within ${limit / 1000} s`,
    );
    this.done();
    this.controller.abort(this.expired);
  }
}
