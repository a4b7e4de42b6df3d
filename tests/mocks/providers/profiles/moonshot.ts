import {
  chatCompletion,
  declaredTool,
  fixture,
  forcesTool,
  openaiError,
  toolTurnWithoutReasoning,
  withoutReasoning,
} from "../answers";
import type { Profile } from "../types";

/**
 * Moonshot (Kimi): `{api_base}/chat/completions` under /v1 (api.moonshot.ai, or .cn in China),
 * Bearer key. kimi-k2.6 thinks unless `thinking: {type: "disabled"}` and fixes its sampling:
 * temperature, top_p, n and the penalties "cannot be modified" (platform.kimi.ai, model
 * parameter reference); a temperature other than its own is refused ("invalid temperature:
 * only 1 is allowed for this model", as reported from production; the other parameters' words
 * follow it). While thinking it refuses tool_choice "required" and a tool-call turn replayed
 * without its reasoning_content. No recording of a Kimi stream is at hand: the mock replays
 * DeepSeek's recorded reasoning_content stream, the shape Kimi documents.
 */
const FIXED = {
  temperature: [1, 0.6],
  top_p: [0.95, 0.95],
  presence_penalty: [0, 0],
  frequency_penalty: [0, 0],
};

export const moonshot = (key: string): Profile => ({
  name: "moonshot",
  api: "openai",
  basePath: "/v1",
  key,
  auth: "bearer",
  models: ["kimi-k2.6"],
  errorBody: (r) =>
    r.status === 401
      ? openaiError("Invalid Authentication", "invalid_authentication_error", null)
      : openaiError(r.message, "invalid_request_error", null),
  refuse(body) {
    const thinking = thinks(body);
    for (const [name, [whenThinking, otherwise]] of Object.entries(FIXED)) {
      const allowed = thinking ? whenThinking : otherwise;
      if (body[name] !== undefined && body[name] !== allowed)
        return {
          status: 400,
          message: `invalid ${name}: only ${allowed} is allowed for this model`,
        };
    }
    if (!thinking) return undefined;
    if (forcesTool(body.tool_choice))
      return {
        status: 400,
        message: "tool_choice 'required' is not supported when thinking is enabled",
      };
    const turn = toolTurnWithoutReasoning(body);
    if (turn >= 0)
      return {
        status: 400,
        message: `thinking is enabled but reasoning_content is missing in assistant tool call message at index ${turn}`,
      };
    return undefined;
  },
  answer(body) {
    if (body.stream === true) {
      const recorded = fixture("openai-compatible/deepseek-reasoning-stream.sse");
      return { sse: thinks(body) ? recorded : withoutReasoning(recorded) };
    }
    return {
      json: chatCompletion({
        id: "chatcmpl-6a1f0c9b8e7d4c3b2a190817",
        model: body.model,
        text: "ok",
        reasoning: thinks(body) ? "The user asks for one word." : undefined,
        tool: declaredTool(body),
      }),
    };
  },
});

function thinks(body: any): boolean {
  return body.thinking?.type !== "disabled";
}
