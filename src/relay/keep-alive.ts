/**
 * Keep-alives on a committed stream: when the client has been sent nothing for `everyMs` (an
 * upstream model thinking), it is sent its format's keep-alive, so an agent's stream watchdog
 * does not abort a healthy turn.
 *
 * One timer per stream, armed when the stream starts and again only when it fires: a chunk costs
 * a clock read, never a timer. When it fires early (something was written since), it sleeps until
 * the silence would be long enough; when the silence is long enough, the keep-alive goes out.
 * It writes only while the pump waits for the upstream, so it never lands inside the pump's own
 * writes, and only one keep-alive write is ever under way (the pump waits for it before writing).
 */
import type { DirectController } from "./writes";

/** A format's keep-alive and the silence that sends it. */
export interface KeepAliveRule {
  bytes: string;
  everyMs: number;
}

export class KeepAlive {
  private lastWrite = performance.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** The pump is waiting for the upstream: nothing of its own is being written. */
  private idle = false;
  /** A keep-alive write the socket has not taken yet. */
  private writing: Promise<unknown> | undefined;

  constructor(
    private readonly c: DirectController,
    private readonly rule: KeepAliveRule,
  ) {
    this.timer = setTimeout(this.check, rule.everyMs);
  }

  /** Something went to the client just now. */
  wrote(): void {
    this.lastWrite = performance.now();
  }

  /** The pump starts (true) or stops (false) waiting for the upstream. */
  waiting(idle: boolean): void {
    this.idle = idle;
  }

  /** The keep-alive write still under way, which the pump's next write must wait for. */
  busy(): Promise<unknown> | undefined {
    return this.writing;
  }

  /** The stream ended, errored, or its client left: no more keep-alives. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private readonly check = (): void => {
    if (this.stopped) return;
    let wait = this.rule.everyMs - (performance.now() - this.lastWrite);
    if (wait <= 0) {
      // Silent long enough. While the pump itself is writing (the socket pushed back), the client
      // is not left waiting on the router: only the next interval is waited for.
      if (this.idle && !this.writing) this.send();
      wait = this.rule.everyMs;
    }
    if (!this.stopped) this.timer = setTimeout(this.check, wait);
  };

  private send(): void {
    try {
      const pending = this.c.write(this.rule.bytes);
      this.wrote();
      if (typeof pending === "number") return;
      const settled = () => (this.writing = undefined);
      this.writing = pending.then(settled, () => (settled(), this.stop()));
    } catch {
      // The client is gone: the pump learns it from its own write or the stream's cancel.
      this.stop();
    }
  }
}
