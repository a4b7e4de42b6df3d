import {
  anthropicMessage,
  chatCompletion,
  declaredTool,
  fixture,
  withoutReasoning,
} from "../answers";
import type { Profile } from "../types";

/**
 * Zhipu GLM (open.bigmodel.cn; api.z.ai outside China), two endpoints on one key:
 * OpenAI-compatible under /api/paas/v4 (Bearer), Anthropic-compatible under /api/anthropic
 * (x-api-key, or Bearer as Claude Code sends it). GLM-4.5 and later think unless
 * `thinking: {type: "disabled"}`, answering with `reasoning_content` (docs.z.ai, chat
 * completion). The OpenAI endpoint refuses any tool_choice but "auto" ("Tool choice must be
 * auto", as relayed by OpenRouter in vectorize-io/hindsight#4246); its error bodies are
 * `{"error": {"code": "1210", "message": …}}`. No recording of a GLM stream is at hand: the
 * OpenAI endpoint replays DeepSeek's recorded reasoning_content stream (the same shape), the
 * Anthropic endpoint Anthropic's own recorded stream.
 */
const MODELS = ["glm-5.1", "glm-4.6"];

export const zhipuOpenAI = (key: string): Profile => ({
  name: "zhipu-openai",
  api: "openai",
  basePath: "/api/paas/v4",
  key,
  auth: "bearer",
  models: MODELS,
  errorBody: (r) =>
    r.status === 401
      ? { error: { code: "1000", message: "身份验证失败。" } }
      : { error: { code: r.code ?? "1210", message: r.message } },
  refuse(body) {
    if (body.tool_choice !== undefined && body.tool_choice !== "auto")
      return { status: 400, message: "Tool choice must be auto", code: "1210" };
    return undefined;
  },
  answer(body) {
    const thinks = body.thinking?.type !== "disabled";
    if (body.stream === true) {
      const recorded = fixture("openai-compatible/deepseek-reasoning-stream.sse");
      return { sse: thinks ? recorded : withoutReasoning(recorded) };
    }
    return {
      json: chatCompletion({
        id: "20260101120000a1b2c3d4e5f6a7b8c9",
        model: body.model,
        text: "ok",
        reasoning: thinks ? "The user asks for one word." : undefined,
        tool: declaredTool(body),
        extra: { request_id: "20260101120000a1b2c3d4e5f6a7b8c9" },
      }),
    };
  },
});

export const zhipuAnthropic = (key: string): Profile => ({
  name: "zhipu-anthropic",
  api: "anthropic",
  basePath: "/api/anthropic",
  key,
  auth: "x-api-key",
  models: MODELS,
  errorBody: (r) => ({
    type: "error",
    error: {
      type: r.status === 401 ? "authentication_error" : "invalid_request_error",
      message: r.message,
    },
  }),
  answer(body) {
    if (body.stream === true) return { sse: fixture("anthropic/text-stream.sse") };
    return { json: anthropicMessage(body.model, "ok", declaredTool(body)) };
  },
});
