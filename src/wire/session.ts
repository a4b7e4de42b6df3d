import type { BodySessionKey, ConversationStart } from "./format";
import { isObject, type Json } from "./read";

/**
 * What the formats' session hooks share. Every read is bounded whatever the body's size or shape:
 * a conversation's start is looked for among its first SCAN_TURNS turns and handed over as at
 * most START_PARTS parts per list, and nothing is copied but the odd block shorn of its cache
 * breakpoint.
 */

const SCAN_TURNS = 32;
const START_PARTS = 16;

/** The first of `fields` that holds a non-empty string. */
export function firstStringField(
  body: Json,
  fields: readonly string[],
): BodySessionKey | undefined {
  for (const field of fields) {
    const value = body[field];
    if (typeof value === "string" && value !== "") return { field, value };
  }
  return undefined;
}

/** How a format's turns say who speaks and what. */
export interface TurnReader {
  /** A system (or developer) turn, part of the system prompt when it comes before the first user turn. */
  isSystem(turn: Json): boolean;
  isUser(turn: Json): boolean;
  content(turn: Json): unknown;
}

/**
 * The system turns before the first user turn, after the format's own system prompt (`system`,
 * already in parts), and the first user turn.
 */
export function openingTurns(
  turns: unknown,
  system: unknown[],
  reader: TurnReader,
): ConversationStart {
  const firstUser: unknown[] = [];
  if (!Array.isArray(turns)) return { system, firstUser };
  const scan = Math.min(turns.length, SCAN_TURNS);
  for (let i = 0; i < scan; i++) {
    const turn: unknown = turns[i];
    if (!isObject(turn)) continue;
    if (reader.isUser(turn)) {
      startParts(reader.content(turn), firstUser);
      break;
    }
    if (reader.isSystem(turn)) startParts(reader.content(turn), system);
  }
  return { system, firstUser };
}

/**
 * Adds a turn's content to `parts`, as the hash of a conversation's start reads it: a text
 * block's text as a plain string, so that a turn sent once as `"hi"` and replayed as
 * `[{type: "text", text: "hi"}]` reads the same; any other block as it is, minus its
 * `cache_control` (clients move the cache breakpoint to the newest turn as the conversation grows).
 */
export function startParts(content: unknown, parts: unknown[]): unknown[] {
  if (typeof content === "string") {
    if (parts.length < START_PARTS) parts.push(content);
  } else if (Array.isArray(content)) {
    const n = Math.min(content.length, START_PARTS - parts.length);
    for (let i = 0; i < n; i++) parts.push(startPart(content[i]));
  }
  return parts;
}

function startPart(block: unknown): unknown {
  if (!isObject(block)) return block;
  // A Gemini part has no type; Chat and Anthropic say "text", Responses "input_text".
  const { type, text } = block;
  const isText = type === undefined || type === "text" || type === "input_text";
  if (isText && typeof text === "string") return text;
  if (!Object.hasOwn(block, "cache_control")) return block;
  const { cache_control: _, ...rest } = block;
  return rest;
}
