import type { IRRequest, Part } from "../../ir";

const JSON_WORD = /json/i;

/**
 * Whether a request's text says "JSON", which OpenAI's json_object mode requires of the input
 * (Chat and Responses alike). Only text is looked at: serialising the whole input to search it
 * would copy every inline image and document, for each request in that mode.
 */
export function mentionsJson(req: IRRequest): boolean {
  return saysJson(req.system) || req.messages.some((m) => saysJson(m.parts));
}

function saysJson(parts: readonly Part[]): boolean {
  return parts.some(
    (p) =>
      (p.type === "text" && JSON_WORD.test(p.text)) ||
      (p.type === "tool_result" &&
        p.content.some((c) => c.type === "text" && JSON_WORD.test(c.text))),
  );
}

/** A json_schema's name as OpenAI's APIs take it: letters, digits, `_` and `-`, 64 at most. */
export function schemaName(name: string | undefined): string {
  return (name ?? "response").replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "response";
}
