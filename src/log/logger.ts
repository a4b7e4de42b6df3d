import { captureRank, toCaptures } from "./capture";
import { FileSink } from "./file-sink";
import { humanLine, jsonLine } from "./format";
import { Redactor } from "./redact";
import {
  LOG_LEVELS,
  levelRank,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogRecord,
} from "./types";

export interface LoggerOptions {
  level: LogLevel;
  /** Exact values to redact anywhere: every configured api_key and the router token. */
  secrets?: Iterable<string>;
  /** Also write JSON lines here, rotated to `PATH.1` before passing maxFileBytes. */
  file?: string;
  maxFileBytes?: number;
  /** "auto": human-readable on a terminal, JSON lines otherwise. */
  stderr?: "auto" | "human" | "json" | "off";
  /** Replaces process.stderr as the destination of stderr lines (tests, embedding). */
  write?: (line: string) => void;
  /** Whether that destination is a terminal; defaults to process.stderr.isTTY. */
  tty?: boolean;
}

export interface RouterLogger extends Logger {
  setLevel(level: LogLevel): void;
  /** For config reloads: the new keys are redacted from the next record on. */
  setSecrets(secrets: Iterable<string>): void;
  /** A logger adding `fields` to every record, e.g. the request id. */
  child(fields: LogFields): Logger;
  /** Resolves once every record so far has reached the file. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const RESERVED = new Set(["time", "level", "msg"]);
const toStderr = (line: string) => void process.stderr.write(line + "\n");

/** `createLogger(level, write)` is the original form, kept for existing callers. */
export function createLogger(
  opts: LoggerOptions | LogLevel,
  write?: (line: string) => void,
): RouterLogger {
  const o: LoggerOptions = typeof opts === "string" ? { level: opts, write } : opts;
  const redactor = new Redactor(o.secrets);
  const out = o.write ?? toStderr;
  const tty = o.tty ?? process.stderr.isTTY === true;
  const mode = o.stderr ?? "auto";
  const human = mode === "human" || (mode === "auto" && tty);
  const color = human && tty && !process.env.NO_COLOR;
  let rank = levelRank(o.level);
  // Opening here, at startup, means a bad --log-file path fails before the router serves anything.
  // Its problems are records like any other, so they pass through redaction too.
  const file = o.file
    ? new FileSink(o.file, o.maxFileBytes, (problem) =>
        emit("error", levelRank("error"), problem, undefined),
      )
    : null;

  const emit = (lvl: LogLevel, r: number, msg: string, fields: LogFields | undefined) => {
    if (r < rank && r < captureRank()) return;
    let record: LogRecord;
    try {
      record = build(redactor, lvl, msg, fields);
    } catch (e) {
      // A hostile getter or toJSON must cost a record, never the request that logged it.
      record = build(redactor, lvl, "log record could not be built", {
        original: msg,
        error: String(e),
      });
    }
    const json = jsonLine(record);
    if (r >= rank) {
      if (mode !== "off") out(human ? humanLine(record, color) : json);
      file?.write(json);
    }
    toCaptures(r, json);
  };

  const make = (bound?: LogFields): Logger => {
    const logger = {} as Record<LogLevel, Logger[LogLevel]>;
    LOG_LEVELS.forEach(
      (lvl, r) =>
        (logger[lvl] = (msg, fields) =>
          emit(lvl, r, msg, bound ? { ...bound, ...fields } : fields)),
    );
    const enabled = (lvl: LogLevel) => levelRank(lvl) >= Math.min(rank, captureRank());
    return Object.defineProperty(Object.assign(logger, { enabled }), "level", {
      get: () => LOG_LEVELS[rank],
      enumerable: true,
    }) as Logger;
  };

  return Object.assign(make(), {
    setLevel: (level: LogLevel) => void (rank = levelRank(level)),
    setSecrets: (secrets: Iterable<string>) => redactor.setSecrets(secrets),
    child: (fields: LogFields) => make(fields),
    flush: async () => file?.flush(),
    close: async () => file?.close(),
  });
}

function build(
  redactor: Redactor,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
): LogRecord {
  const record: LogRecord = {
    time: new Date().toISOString(),
    level,
    msg: redactor.message(String(msg)),
  };
  const clean = redactor.value(fields);
  if (clean && typeof clean === "object" && !Array.isArray(clean)) {
    for (const [k, v] of Object.entries(clean)) record[RESERVED.has(k) ? `_${k}` : k] = v;
  } else if (clean !== undefined) {
    record.fields = clean;
  }
  return record;
}

/** Discards everything, except into an active test capture. */
export const silentLogger: Logger = createLogger({ level: "error", stderr: "off" });
