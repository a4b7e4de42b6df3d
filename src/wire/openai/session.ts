import type { BodySessionKey, ConversationStart } from "../format";
import type { Json } from "../read";
import { firstStringField, openingTurns, type TurnReader } from "../session";

/**
 * `prompt_cache_key` names the conversation (OpenAI routes its prompt cache by it; Codex and
 * opencode send their session id there); `user` and `safety_identifier` name the end user, whose
 * conversations then share a deployment.
 */
const SESSION_FIELDS = ["prompt_cache_key", "user", "safety_identifier"];

export const sessionField = (body: Json): BodySessionKey | undefined =>
  firstStringField(body, SESSION_FIELDS);

const MESSAGES: TurnReader = {
  isSystem: (m) => m.role === "system" || m.role === "developer",
  isUser: (m) => m.role === "user",
  content: (m) => m.content,
};

/** The leading system and developer messages, and the first user message. */
export const conversationStart = (body: Json): ConversationStart =>
  openingTurns(body.messages, [], MESSAGES);
