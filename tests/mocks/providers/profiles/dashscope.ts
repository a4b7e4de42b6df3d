import {
  chatCompletion,
  declaredTool,
  fixture,
  forcesTool,
  openaiError,
  renameStreamedTool,
  withoutReasoning,
} from "../answers";
import type { Profile } from "../types";

/**
 * Alibaba Cloud Model Studio (DashScope), OpenAI-compatible mode: `{api_base}/chat/completions`
 * under /compatible-mode/v1, Bearer key. Thinking is `enable_thinking` in the body (the Qwen3
 * open-source hybrids think unless it is false; qwen-plus does not unless it is true), and while
 * thinking it refuses a call that is not streamed and a forced tool_choice, in these words
 * (as its users have reported them, e.g. langchain4j#3974, eino#994).
 */
const THINKS_BY_DEFAULT = new Set(["qwen3-32b"]);

export const dashscope = (key: string): Profile => ({
  name: "dashscope",
  api: "openai",
  basePath: "/compatible-mode/v1",
  key,
  auth: "bearer",
  models: ["qwen-plus", "qwen3-32b"],
  errorBody: (r) => ({
    ...(openaiError(
      r.status === 401 ? "Incorrect API key provided. " : r.message,
      "invalid_request_error",
      r.status === 401 ? "invalid_api_key" : "invalid_parameter_error",
    ) as object),
    request_id: "3c1c9c3e-0f6b-9a52-8c3e-6d1c2a7b9e10",
  }),
  refuse(body) {
    if (!thinks(body)) return undefined;
    if (forcesTool(body.tool_choice))
      return {
        status: 400,
        message:
          "<400> InternalError.Algo.InvalidParameter: The tool_choice parameter does not support being set to required or object in thinking mode",
      };
    if (body.stream !== true)
      return {
        status: 400,
        message: "parameter.enable_thinking must be set to false for non-streaming calls",
      };
    return undefined;
  },
  answer(body) {
    const tool = declaredTool(body);
    if (body.stream === true) {
      if (tool)
        return {
          sse: renameStreamedTool(fixture("openai-compatible/qwen-tool-call-stream.sse"), tool),
        };
      const recorded = fixture("openai-compatible/qwen-reasoning-stream.sse");
      return { sse: thinks(body) ? recorded : withoutReasoning(recorded) };
    }
    return {
      json: chatCompletion({
        id: "chatcmpl-5f0e8d7a-2b3c-9d4e-8f1a-6b7c8d9e0f12",
        model: body.model,
        text: "ok",
        tool,
        extra: { system_fingerprint: null },
      }),
    };
  },
});

function thinks(body: any): boolean {
  return body.enable_thinking ?? THINKS_BY_DEFAULT.has(body.model);
}
