import type { NameRule } from "../names";
import { fit } from "../names";

/**
 * tool_use ids: ^[a-zA-Z0-9_-]+$, kept to 64 so OpenAI-side limits never bite. Ids an upstream
 * of another format invented (Gemini `fc.1/a+b==`, Kimi `functions.x:0`) are made to fit before
 * an Anthropic client sees them; the same id then comes back in the result and pairs upstream.
 */
export const TOOL_ID_RULE: NameRule = { allowed: /[a-zA-Z0-9_-]/, max: 64 };

export const clientToolId = (id: string): string => fit(id, TOOL_ID_RULE);
