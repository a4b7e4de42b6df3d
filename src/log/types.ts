export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;
export type LogFn = (msg: string, fields?: LogFields) => void;
export type Logger = Record<LogLevel, LogFn> & {
  readonly level: LogLevel;
  /** Whether a record of this level would go anywhere; lets callers skip assembling one. Absent = yes. */
  enabled?(level: LogLevel): boolean;
};

/** One record as every sink sees it: already redacted, fields flattened beside time, level and msg. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

export const levelRank = (level: LogLevel): number => LOG_LEVELS.indexOf(level);
