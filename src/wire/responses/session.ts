import type { BodySessionKey, ConversationStart } from "../format";
import type { Json } from "../read";
import { firstStringField, openingTurns, startParts, type TurnReader } from "../session";

/**
 * As for Chat: `prompt_cache_key` names the conversation (Codex sends its session id there),
 * `user` and its successor `safety_identifier` the end user.
 */
const SESSION_FIELDS = ["prompt_cache_key", "user", "safety_identifier"];

export const sessionField = (body: Json): BodySessionKey | undefined =>
  firstStringField(body, SESSION_FIELDS);

/** A message item: `type: "message"`, or no type at all (the SDKs' short form). */
const isMessage = (item: Json) => item.type === undefined || item.type === "message";

const ITEMS: TurnReader = {
  isSystem: (item) => isMessage(item) && (item.role === "system" || item.role === "developer"),
  isUser: (item) => isMessage(item) && item.role === "user",
  content: (item) => item.content,
};

/**
 * `instructions` and the system and developer items before the first user item, and that item.
 * `input` may be a plain string, the first user turn itself: a client sends it so on turn 1 and
 * replays it as a user item afterwards, which reads the same.
 */
export function conversationStart(body: Json): ConversationStart {
  const system = startParts(body.instructions, []);
  const { input } = body;
  if (typeof input === "string") return { system, firstUser: [input] };
  return openingTurns(input, system, ITEMS);
}
