/** The words the selector engine and its parts share; kept apart so neither imports the other. */

/** "skipped": not evaluated (body above the cap, or the selector is quarantined). Only "match" is eligible. */
export type SelectorOutcome = "match" | "no_match" | "error" | "timeout" | "skipped";

export type SelectorLog = (
  level: "debug" | "info" | "warn",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** One entry per group member, undefined = no selector (always eligible). */
export interface GroupSelectors {
  group: string;
  sources: (string | undefined)[];
}
