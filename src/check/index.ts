/** The `--check` module's public surface. */
export { checkFlagValue, parseCheckKinds, parseCheckTimeout, wantsColor } from "./args";
export { runCheck, runCheckFile } from "./run";
export type { JsonReport } from "./report";
export {
  CHECK_KINDS,
  DEFAULT_CONCURRENCY,
  DEFAULT_TIMEOUT_MS,
  EXIT_CONFIG_INVALID,
  EXIT_MODEL_FAILED,
  EXIT_OK,
  type CheckKind,
  type CheckOptions,
  type CheckSummary,
  type ModelReport,
  type ProbeResult,
} from "./types";
