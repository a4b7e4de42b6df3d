import {
  chatCompletion,
  declaredTool,
  fixture,
  forcesTool,
  openaiError,
  renameStreamedTool,
  renameTool,
  toolTurnWithoutReasoning,
  withoutReasoning,
} from "../answers";
import type { Profile } from "../types";

/**
 * DeepSeek: `{api_base}/chat/completions` with api_base https://api.deepseek.com, Bearer key.
 * Its models think unless `thinking: {type: "disabled"}`; their reasoning comes as
 * `reasoning_content`, in answers and streams (recorded from deepseek-reasoner and
 * deepseek-v4-flash). While thinking it refuses a forced tool_choice, and a history whose
 * tool-call turns lack the reasoning they came with (api-docs.deepseek.com, thinking mode).
 */
export const deepseek = (key: string): Profile => ({
  name: "deepseek",
  api: "openai",
  basePath: "",
  key,
  auth: "bearer",
  models: ["deepseek-flash", "deepseek-v4-pro"],
  errorBody: (r) =>
    r.status === 401
      ? openaiError(
          "Authentication Fails, Your api key is invalid",
          "authentication_error",
          "invalid_request_error",
        )
      : openaiError(r.message, "invalid_request_error", "invalid_request_error"),
  refuse(body) {
    if (!thinks(body)) return undefined;
    if (forcesTool(body.tool_choice))
      return { status: 400, message: "Thinking mode does not support this tool_choice" };
    if (toolTurnWithoutReasoning(body) >= 0)
      return {
        status: 400,
        message: "The `reasoning_content` in the thinking mode must be passed back to the API.",
      };
    return undefined;
  },
  answer(body) {
    const tool = declaredTool(body);
    if (body.stream === true) {
      if (tool)
        return {
          sse: renameStreamedTool(
            fixture("openai-compatible/deepseek-reasoning-tool-call-stream.sse"),
            tool,
          ),
        };
      const recorded = fixture("openai-compatible/deepseek-reasoning-stream.sse");
      return { sse: thinks(body) ? recorded : withoutReasoning(recorded) };
    }
    if (tool && thinks(body))
      return {
        json: renameTool(fixture("openai-compatible/deepseek-reasoning-tool-call.json"), tool),
      };
    return {
      json: chatCompletion({
        id: "0841b0a3-0321-47fa-a8a5-f08e5a4b3cb4",
        model: body.model,
        text: "ok",
        reasoning: thinks(body) ? "The user asks for one word." : undefined,
        tool,
        extra: { system_fingerprint: "fp_8b330d02d0_prod0820_fp8_kvcache" },
      }),
    };
  },
});

function thinks(body: any): boolean {
  return body.thinking?.type !== "disabled";
}
