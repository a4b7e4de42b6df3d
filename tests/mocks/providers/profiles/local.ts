import { chatCompletion, declaredTool, fixture, openaiError } from "../answers";
import type { Profile } from "../types";

/**
 * Servers on your own machine, which take no key unless started with one.
 *
 * Ollama: OpenAI-compatible under /v1 on port 11434; "the client requires an API key value, but
 * Ollama ignores it" (docs.ollama.com, OpenAI compatibility). A model that was not pulled is a
 * 404. No recording of an Ollama stream is at hand: it replays OpenAI's recorded stream, the
 * shape Ollama copies.
 *
 * vLLM: `vllm serve` on port 8000 unless `--port`; a key only with `--api-key`. Tool calls the
 * model chooses need `--enable-auto-tool-choice --tool-call-parser …`, without which a
 * tool_choice of "auto" is refused; "required" and a named tool work without them (vLLM ≥ 0.8.3,
 * docs.vllm.ai, tool calling). Streams are vLLM's recorded ones.
 */
export const ollama = (): Profile => ({
  name: "ollama",
  api: "openai",
  basePath: "/v1",
  auth: "bearer",
  models: ["gpt-oss:20b"],
  errorBody: (r) =>
    openaiError(
      r.status === 404 ? `${r.message}, try pulling it first` : r.message,
      "api_error",
      null,
    ),
  answer(body) {
    if (body.stream === true) return { sse: fixture("openai/text-stream.sse") };
    return {
      json: chatCompletion({
        id: "chatcmpl-417",
        model: body.model,
        text: "ok",
        tool: declaredTool(body),
        extra: { system_fingerprint: "fp_ollama" },
      }),
    };
  },
});

export const vllm = (opts: { autoToolChoice: boolean; key?: string }): Profile => ({
  name: "vllm",
  api: "openai",
  basePath: "/v1",
  key: opts.key,
  auth: "bearer",
  models: ["Qwen/Qwen3-8B"],
  errorBody: (r) =>
    r.status === 401
      ? { error: "Unauthorized" }
      : {
          object: "error",
          message: r.message,
          type: r.status === 404 ? "NotFoundError" : "BadRequestError",
          param: null,
          code: r.status,
        },
  refuse(body) {
    if (body.tool_choice === "auto" && !opts.autoToolChoice)
      return {
        status: 400,
        message:
          '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
      };
    return undefined;
  },
  answer(body) {
    if (body.stream === true) return { sse: fixture("openai-compatible/vllm-length-stream.sse") };
    return {
      json: chatCompletion({
        id: "chatcmpl-22c24755532348e6b6ff75297b1a71b4",
        model: body.model,
        text: "ok",
        tool: declaredTool(body),
        extra: { prompt_logprobs: null },
      }),
    };
  },
});
