import type { BodySessionKey, ConversationStart } from "../format";
import { isObject, type Json } from "../read";
import { openingTurns, startParts, type TurnReader } from "../session";

/** A longer `metadata.user_id` is no client's few ids (and not worth a parse): it is used whole. */
const MAX_PARSED_USER_ID = 1024;
/** What precedes the session id in `user_<hash>_account_<uuid>_session_<uuid>`. */
const SESSION_MARK = "_session_";

/**
 * `metadata.user_id`, or the session it names. Claude Code 2.1 sends the JSON text of
 * `{...CLAUDE_CODE_EXTRA_METADATA, device_id, account_uuid, session_id}`, `session_id` being the
 * id it also sends as `X-Claude-Code-Session-Id`; earlier versions sent
 * `user_<device hash>_account_<uuid>_session_<uuid>`. Only the session part is used, so that one
 * user's sessions spread over the deployments; any other client's id is used whole.
 */
export function sessionField(body: Json): BodySessionKey | undefined {
  const { metadata } = body;
  const userId = isObject(metadata) ? metadata.user_id : undefined;
  if (typeof userId !== "string" || userId === "") return undefined;
  return { field: "metadata.user_id", value: sessionOf(userId) };
}

function sessionOf(userId: string): string {
  if (userId.length > MAX_PARSED_USER_ID) return userId;
  if (userId.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(userId);
    } catch {
      return userId;
    }
    const session = isObject(parsed) ? parsed.session_id : undefined;
    return typeof session === "string" && session !== "" ? session : userId;
  }
  const mark = userId.lastIndexOf(SESSION_MARK);
  const session = mark < 0 ? "" : userId.slice(mark + SESSION_MARK.length);
  return session !== "" ? session : userId;
}

const MESSAGES: TurnReader = {
  isSystem: () => false,
  isUser: (m) => m.role === "user",
  content: (m) => m.content,
};

/** `system` (a string or text blocks) and the first user message. */
export const conversationStart = (body: Json): ConversationStart =>
  openingTurns(body.messages, startParts(body.system, []), MESSAGES);
