import type { LogFields, Logger } from "./types";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32: no i, l, o, u to misread

/** 12 base32 characters (60 random bits): short enough to read out, unique enough for a log's lifetime. */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let id = "";
  for (const b of bytes) id += ALPHABET[b & 31];
  return id;
}

/** Token counts with the IR's names; any may be unknown. */
export interface TokenUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

/** What the one info line per request says. */
export interface RequestSummary {
  id: string;
  /** The inbound API: openai, anthropic or gemini. */
  format: string;
  /** The name of the client's key ("admin" for the router token); never the secret. */
  key?: string;
  group?: string;
  /** The model_name that served it (or last failed). */
  model?: string | null;
  /** The fallback group that served it, when not the group asked for. */
  servedBy?: string;
  /** Where the session key that ordered the members came from (`header:…`, `body:…`, `prefix`). */
  affinity?: string;
  attempts?: number;
  status: number;
  firstByteMs?: number;
  totalMs: number;
  usage?: TokenUsage;
  /** What the answer cost by its model's prices; undefined when nothing was served. */
  costUsd?: number;
  /** The key's free-form `metadata` (team, owner), echoed so logs can be grouped by it. */
  metadata?: Record<string, string>;
  error?: string;
}

const ms = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 10) / 10);

/** Fields in a fixed order, so human lines line up and JSON consumers see the same keys every time. */
function requestFields(s: RequestSummary): LogFields {
  const u = s.usage;
  return {
    id: s.id,
    format: s.format,
    key: s.key,
    group: s.group,
    model: s.model ?? undefined,
    served_by: s.servedBy,
    affinity: s.affinity,
    attempts: s.attempts,
    status: s.status,
    ttfb_ms: ms(s.firstByteMs),
    total_ms: ms(s.totalMs),
    input_tokens: u?.input,
    output_tokens: u?.output,
    cache_read_tokens: u?.cacheRead || undefined,
    cache_write_tokens: u?.cacheWrite || undefined,
    reasoning_tokens: u?.reasoning || undefined,
    // Six decimals: a millionth of a dollar, well below any one answer's price.
    cost_usd: s.costUsd === undefined ? undefined : Math.round(s.costUsd * 1e6) / 1e6,
    // Nested, so a key's metadata can never overwrite the line's own fields.
    metadata: s.metadata,
    error: s.error,
  };
}

/** The one info line per request; not even assembled when info lines are off. */
export function requestLog(log: Logger, s: RequestSummary): void {
  if (log.enabled?.("info") !== false) log.info("request", requestFields(s));
}

/** Clock for one request: create on arrival, mark the first byte sent, finish when the body ends. */
export function requestTimer(
  id: string = newRequestId(),
  now: () => number = () => performance.now(),
) {
  const start = now();
  let firstByte: number | undefined;
  return {
    id,
    /** Only the first call counts. */
    firstByte(): void {
      firstByte ??= now() - start;
    },
    firstByteMs: (): number | undefined => firstByte,
    elapsedMs: (): number => now() - start,
    finish(log: Logger, rest: Omit<RequestSummary, "id" | "firstByteMs" | "totalMs">): void {
      if (log.enabled?.("info") === false) return;
      requestLog(log, { ...rest, id, firstByteMs: firstByte, totalMs: now() - start });
    },
  };
}
export type RequestTimer = ReturnType<typeof requestTimer>;
