import type { Timeouts } from "../config/types";
import { routerError, type RouterError } from "../ir";

/**
 * The time limits of one upstream call, as one AbortSignal that also carries the client's
 * disconnect. Phases: until response headers (`connect` for streams; a non-streamed answer sends
 * its headers only when complete, so `first_byte` there), until the first body byte
 * (`first_byte`, from the start), then at most `idle` between chunks; `total` bounds it all.
 * Whichever fires first aborts the fetch and is remembered, so the failure names it.
 */
export class Deadlines {
  readonly signal: AbortSignal;
  expired?: RouterError;
  private readonly controller = new AbortController();
  private readonly start = performance.now();
  private phase?: ReturnType<typeof setTimeout>;
  private whole?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly limits: Timeouts,
    client: AbortSignal,
    private readonly stream: boolean,
  ) {
    this.signal = AbortSignal.any([client, this.controller.signal]);
    if (stream) this.arm("connect", limits.connect);
    else this.arm("first byte", limits.firstByte);
    if (limits.total > 0) this.whole = setTimeout(() => this.expire("total", limits.total), limits.total);
  }

  /** Response headers arrived. */
  headers(): void {
    if (this.stream) this.arm("first byte", this.limits.firstByte, this.limits.firstByte - (performance.now() - this.start));
  }

  /** A body chunk arrived. */
  chunk(): void {
    this.arm("idle", this.limits.idle);
  }

  /** The exchange is over, however it ended. */
  done(): void {
    clearTimeout(this.phase);
    clearTimeout(this.whole);
  }

  private arm(kind: string, limit: number, remaining = limit): void {
    clearTimeout(this.phase);
    if (limit > 0) this.phase = setTimeout(() => this.expire(kind, limit), Math.max(0, remaining));
  }

  private expire(kind: string, limit: number): void {
    if (this.expired || this.signal.aborted) return;
    this.expired = routerError("timeout", `upstream ${kind} timeout: nothing within ${limit / 1000} s`);
    this.done();
    this.controller.abort(this.expired);
  }
}
