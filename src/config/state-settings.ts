/**
 * `router_settings.state`, `state_failure`, `state_timeout` and `state_file` → StateSettings:
 * where key counters and spend live (a Redis URL, else this process), and what to do when the
 * shared store does not answer in time.
 */
import { Type } from "@sinclair/typebox";
import { resolve } from "node:path";
import { DEFAULT_STATE_FAILURE, DEFAULT_STATE_TIMEOUT_MS } from "./defaults";
import type { Reporter } from "./reporter";
import type { Mapping } from "./shape";
import type { StateSettings } from "./types";
import { secondsToMs } from "./units";

const FAILURE_MODES = ["open", "closed"] as const;
const DEFAULT_TIMEOUT_SECONDS = DEFAULT_STATE_TIMEOUT_MS / 1000;
const MAX_TIMEOUT_SECONDS = 10;

/** The four keys, spread into router_settings' schema. */
export const StateSchema = {
  state: Type.Optional(
    Type.String({
      description:
        "Where key counters and spend live when several router processes or replicas share them: redis://[:password@]host:port/db or rediss:// (TLS). Default: in this process.",
    }),
  ),
  state_failure: Type.Optional(
    Type.Union(
      FAILURE_MODES.map((m) => Type.Literal(m)),
      {
        default: DEFAULT_STATE_FAILURE,
        description: `When the state store does not answer within state_timeout: open serves the request and counts locally (logging a warning once a minute); closed answers 503. Default ${DEFAULT_STATE_FAILURE}.`,
      },
    ),
  ),
  state_timeout: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: MAX_TIMEOUT_SECONDS,
      default: DEFAULT_TIMEOUT_SECONDS,
      description: `Seconds an admission waits for the state store, more than 0 and at most ${MAX_TIMEOUT_SECONDS}. Default ${DEFAULT_TIMEOUT_SECONDS}.`,
    }),
  ),
  state_file: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "SQLite file (relative to the config file's directory) that keeps spend across restarts when state lives in this process; unused with state. Default none: spend starts at 0 on every start.",
    }),
  ),
};

/** `dir`: the config file's directory, which a relative state_file is resolved against. */
export function stateSettings(r: Reporter, settings: Mapping, dir: string): StateSettings {
  const at = "/router_settings";
  const out: StateSettings = {
    failure: FAILURE_MODES.find((m) => m === settings.state_failure) ?? DEFAULT_STATE_FAILURE,
    timeoutMs:
      typeof settings.state_timeout === "number" &&
      settings.state_timeout > 0 &&
      settings.state_timeout <= MAX_TIMEOUT_SECONDS
        ? secondsToMs(settings.state_timeout)
        : DEFAULT_STATE_TIMEOUT_MS,
  };
  if (typeof settings.state === "string") {
    if (isRedisUrl(settings.state)) out.url = settings.state;
    else
      r.error(
        "INVALID_VALUE",
        `${at}/state`,
        // The URL is not quoted: it may hold the store's password.
        "state must be a redis:// or rediss:// URL such as redis://localhost:6379/0",
      );
  }
  if (typeof settings.state_file === "string" && settings.state_file !== "") {
    out.file = resolve(dir, settings.state_file);
    if (settings.state !== undefined)
      r.warn(
        "INVALID_VALUE",
        `${at}/state_file`,
        "state_file is unused: with state set, spend lives in the shared store",
      );
  }
  return out;
}

/** `redis://` or `rediss://` with a host; `redis:/host` (one slash) parses, but has none. */
function isRedisUrl(text: string): boolean {
  if (!/^rediss?:\/\//i.test(text)) return false;
  try {
    return new URL(text).hostname !== "";
  } catch {
    return false;
  }
}
