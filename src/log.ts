/** Levelled logging to stderr. Records are a message plus flat fields; secrets must never be passed in. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;
export type LogFn = (msg: string, fields?: LogFields) => void;
export type Logger = Record<LogLevel, LogFn> & { level: LogLevel };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + "\n")): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const make =
    (lvl: LogLevel, rank: number): LogFn =>
    (msg, fields) => {
      if (rank < threshold) return;
      const extra = fields ? " " + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ") : "";
      write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra}`);
    };
  const logger = { level } as Logger;
  LOG_LEVELS.forEach((lvl, rank) => (logger[lvl] = make(lvl, rank)));
  return logger;
}

export const silentLogger: Logger = createLogger("error", () => {});
