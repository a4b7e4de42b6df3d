import { levelRank, type LogLevel, type LogRecord } from "./types";

/**
 * In-process log capture for tests. Chosen over an environment variable: nothing a deployment
 * could set by accident changes where logs go, and a test sees exactly the redacted JSON lines a
 * log file would get — from every logger, including ones quieter than the capture (silentLogger).
 */
export interface LogCapture {
  /** The JSON lines captured so far (empty when an onLine callback takes them instead). */
  readonly lines: string[];
  records(): LogRecord[];
  stop(): void;
}

interface Tap {
  rank: number;
  take: (line: string) => void;
}
interface Registry {
  taps: Set<Tap>;
  /** The lowest level any tap wants; loggers skip work below both it and their own level. */
  minRank: number;
}

// Kept on globalThis so that a second copy of this module (another import path, a test preload)
// still feeds the same captures.
const KEY = Symbol.for("llm-router.log.captures");
const registry: Registry =
  ((globalThis as Record<symbol, unknown>)[KEY] as Registry | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = {
    taps: new Set<Tap>(),
    minRank: Infinity,
  } as Registry);

const refresh = () =>
  (registry.minRank = Math.min(Infinity, ...[...registry.taps].map((t) => t.rank)));

export function captureLogs(
  opts: { level?: LogLevel; onLine?: (line: string) => void } = {},
): LogCapture {
  const lines: string[] = [];
  const tap: Tap = {
    rank: levelRank(opts.level ?? "trace"),
    take: opts.onLine ?? ((l) => lines.push(l)),
  };
  registry.taps.add(tap);
  refresh();
  return {
    lines,
    records: () => lines.map((l) => JSON.parse(l) as LogRecord),
    stop() {
      registry.taps.delete(tap);
      refresh();
    },
  };
}

export const captureRank = (): number => registry.minRank;

export function toCaptures(rank: number, line: string): void {
  for (const tap of registry.taps) if (rank >= tap.rank) tap.take(line);
}

/**
 * The lines that contain any of the secrets, raw, JSON-escaped or percent-encoded: the check a
 * suite-wide "no secret in any log" test needs, kept here so every such test checks the same way.
 */
export function findSecrets(
  lines: Iterable<string>,
  secrets: Iterable<string>,
): { secret: string; line: string }[] {
  const forms = [...secrets]
    .filter((s) => s !== "")
    .flatMap((s) =>
      [...new Set([s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)])].map(
        (f) => [s, f] as const,
      ),
    );
  const hits: { secret: string; line: string }[] = [];
  for (const line of lines)
    for (const [secret, form] of forms) if (line.includes(form)) hits.push({ secret, line });
  return hits;
}
