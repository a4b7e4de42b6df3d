/** Something the target format could not express. Logged and counted in a response header, never silent. */
export interface Warning {
  code: "dropped" | "clamped" | "approximated" | "unsupported";
  /** The field or feature, e.g. `logit_bias`, `top_k`, `tool_choice.disable_parallel_tool_use`. */
  what: string;
  detail?: string;
}

export class Warnings {
  readonly list: Warning[] = [];
  /** code + what of every warning so far, so `once` is a lookup, not a scan of a list that grows with the request. */
  private readonly seen = new Set<string>();

  add(code: Warning["code"], what: string, detail?: string): void {
    this.list.push({ code, what, detail });
    this.seen.add(`${code}\0${what}`);
  }

  /** For losses that repeat per part: one warning says it, a hundred would drown the others. */
  once(code: Warning["code"], what: string, detail?: string): void {
    if (!this.seen.has(`${code}\0${what}`)) this.add(code, what, detail);
  }

  /** Appends another set's warnings (one attempt's, kept apart until it was chosen). */
  addAll(other: Warnings): void {
    for (const w of other.list) this.add(w.code, w.what, w.detail);
  }
}
