import type { ConversationStart } from "../format";
import { isObject, type Json } from "../read";
import { openingTurns, startParts, type TurnReader } from "../session";
import { field } from "./proto-json";

// Gemini requests carry no session or user id: Gemini CLI names none to the API, so its
// conversations are keyed by their start alone.

const CONTENTS: TurnReader = {
  isSystem: () => false,
  // A content without a role is the user's.
  isUser: (c) => c.role === undefined || c.role === "user",
  content: (c) => field(c, "parts"),
};

/**
 * `systemInstruction` and the first user content. A count request may wrap the generation
 * request in `generateContentRequest`.
 */
export function conversationStart(body: Json): ConversationStart {
  const wrapped = field(body, "generateContentRequest");
  const request = body.contents === undefined && isObject(wrapped) ? wrapped : body;
  const instruction = field(request, "systemInstruction");
  const system = startParts(isObject(instruction) ? field(instruction, "parts") : instruction, []);
  return openingTurns(request.contents, system, CONTENTS);
}
