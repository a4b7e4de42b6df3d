/** The `--check` module's public surface. */
export { checkFlagValue, parseCheckKinds, parseCheckTimeout, wantsColor } from "./args";
export { runCheck, runCheckFile } from "./run";
export type { JsonReport } from "./report";
export { DEFAULT_CONCURRENCY, type CheckKind, type CheckOptions } from "./types";
