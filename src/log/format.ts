import type { LogLevel, LogRecord } from "./types";

/** JSON lines for files and pipes: one object per line, fields beside time, level and msg. */
export const jsonLine = (record: LogRecord): string => JSON.stringify(record);

const COLOR: Record<LogLevel, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[36m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** For a person at a terminal: `time LEVEL msg k=v …`, quoting only values that would be ambiguous. */
export function humanLine(record: LogRecord, color: boolean): string {
  const { time, level, msg, ...fields } = record;
  const tag = level.toUpperCase().padEnd(5);
  // A newline in a message would forge a second record for whoever reads the terminal or greps.
  let line = `${time} ${color ? COLOR[level] + tag + "\x1b[0m" : tag} ${msg.replace(/[\r\n]/g, (c) => (c === "\n" ? "\\n" : "\\r"))}`;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    line += ` ${k}=${typeof v === "string" && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`;
  }
  return line;
}
