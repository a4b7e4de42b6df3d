/** Something the target format could not express. Logged and counted in a response header, never silent. */
export interface Warning {
  code: "dropped" | "clamped" | "approximated" | "unsupported";
  /** The field or feature, e.g. `logit_bias`, `top_k`, `tool_choice.disable_parallel_tool_use`. */
  what: string;
  detail?: string;
}

export class Warnings {
  readonly list: Warning[] = [];
  add(code: Warning["code"], what: string, detail?: string): void {
    this.list.push({ code, what, detail });
  }
}
