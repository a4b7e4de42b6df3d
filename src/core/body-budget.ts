/**
 * The request-body bytes all requests hold at once. `max_body_size` bounds one body, but many
 * large bodies arriving together could still exhaust memory (a parsed JSON body takes several
 * times its size), so their total has a limit too (`server_settings.max_total_body_size`). A
 * body that would take the total past it is refused before it is read; the bytes of an accepted
 * body count until its request has its answer.
 */
export class BodyBudget {
  private held = 0;

  /** Counts `bytes` in when they fit under `limit`; false (and nothing counted) when not. */
  reserve(bytes: number, limit: number): boolean {
    if (bytes > 0 && this.held + bytes > limit) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** Bytes counted now. */
  get inUse(): number {
    return this.held;
  }
}
