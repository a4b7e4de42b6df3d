import type { RoutedCall } from "../attempt";
import type { ConversationStart } from "../wire";

/**
 * Which conversation a request belongs to, so that every turn of it goes to the same deployment
 * (its prompt cache and its signed reasoning live there). Read from what the client sends, in
 * a few µs and the same in every router process: no state is kept between requests.
 */
export interface SessionKey {
  key: string;
  /** Where the key came from: `header:<name>`, `body:<dotted field>` or `prefix`. */
  source: string;
}

/**
 * The session headers agent clients send, most specific first. Each was read off the request the
 * client sends (versions of tests/real-clients).
 */
const CLIENT_HEADERS = [
  // Claude Code 2.1 (X-Claude-Code-Session-Id, in its API client's default headers).
  "x-claude-code-session-id",
  // Codex 0.171 sends its thread id as both; opencode 1.18 sends `session-id` to OpenAI too.
  "session-id",
  "thread-id",
  // Earlier Codex versions (with `conversation_id`, the same id).
  "session_id",
  // opencode 1.18, to providers other than its own (with X-Session-Id, the same id).
  "x-session-affinity",
  "x-session-id",
  // opencode 1.18, to its own opencode providers.
  "x-opencode-session",
].map((name) => ({ name, source: `header:${name}` }));

/** A longer key (it comes from the client) is replaced by its hash, so logs stay small. */
const MAX_KEY_LENGTH = 256;

/**
 * undefined only when nothing in the request identifies a conversation. `extraHeaders` are
 * `router_settings.affinity_keys`: lower-case header names, valid ones (`Headers.get` throws on
 * any other, so the config checks them when it loads).
 */
export function findSessionKey(
  call: RoutedCall,
  extraHeaders: readonly string[],
): SessionKey | undefined {
  for (const name of extraHeaders) {
    const value = call.headers.get(name);
    if (value) return { key: bounded(value), source: `header:${name}` };
  }
  for (const { name, source } of CLIENT_HEADERS) {
    const value = call.headers.get(name);
    if (value) return { key: bounded(value), source };
  }
  const field = call.client.sessionField?.(call.body);
  if (field) return { key: bounded(field.value), source: `body:${field.field}` };
  const start = call.client.conversationStart?.(call.body);
  const key = start && startKey(start);
  return key === undefined ? undefined : { key, source: "prefix" };
}

/** Of a longer key, the hash reads its length and this many characters at each end. */
const KEY_ENDS = 2048;

const bounded = (key: string): string =>
  key.length <= MAX_KEY_LENGTH ? key : hash(`${key.length}:${ends(key, KEY_ENDS, KEY_ENDS)}`);

/** The first `head` and last `tail` characters of `s`, or all of it when it is not longer. */
const ends = (s: string, head: number, tail: number): string =>
  s.length > head + tail ? s.slice(0, head) + s.slice(-tail) : s;

/**
 * xxHash64 with seed 0: a published algorithm with no per-process seed, so every router process
 * (and version) hashes alike; strings are hashed as UTF-8 whatever their inner encoding.
 */
const hash = (text: string): string => Bun.hash.xxHash64(text, 0n).toString(16).padStart(16, "0");

// What of a conversation's start is hashed: bounded, so that a key costs a few µs on any body.
/** Characters kept from the start and from the end of each string, beside its length. */
const HEAD = 192;
const TAIL = 64;
/** Values read in all, and the nesting read into (a tool result's blocks, an image's source). */
const MAX_VALUES = 96;
const MAX_DEPTH = 6;

/**
 * A hash of the system prompt and the first user turn, which every turn of a conversation
 * repeats: the same on turn 1 and turn 6, and different for conversations that begin
 * differently. Each string counts by its length and its two ends, so a 1 MB first turn costs
 * what a short one does; two turns differing only in their middle (same length) share a key,
 * which costs nothing but a shared deployment.
 */
function startKey(start: ConversationStart): string | undefined {
  if (start.system.length === 0 && start.firstUser.length === 0) return undefined;
  const digest = { text: "S", values: 0 };
  for (const part of start.system) digestValue(digest, part, 0);
  digest.text += "U";
  for (const part of start.firstUser) digestValue(digest, part, 0);
  return hash(digest.text);
}

/**
 * Appends `value` to the digest text: every piece tagged and length-prefixed, so that no two
 * different inputs spell the same text (`["ab", "c"]` is not `["a", "bc"]`).
 */
function digestValue(digest: { text: string; values: number }, value: unknown, depth: number) {
  if (digest.values >= MAX_VALUES) return;
  digest.values++;
  if (typeof value === "string") {
    digest.text += `s${value.length}:${ends(value, HEAD, TAIL)}`;
  } else if (typeof value === "number" || typeof value === "boolean" || value === null) {
    digest.text += `v${String(value)};`;
  } else if (typeof value === "object" && depth < MAX_DEPTH) {
    digest.text += Array.isArray(value) ? "[" : "{";
    if (Array.isArray(value)) {
      const n = Math.min(value.length, MAX_VALUES);
      for (let i = 0; i < n && digest.values < MAX_VALUES; i++)
        digestValue(digest, value[i], depth + 1);
    } else {
      for (const key in value) {
        if (digest.values >= MAX_VALUES) break;
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        digest.text += `k${key.length}:${key.length > HEAD ? key.slice(0, HEAD) : key}`;
        digestValue(digest, v, depth + 1);
      }
    }
    digest.text += Array.isArray(value) ? "]" : "}";
  }
}
