import { chatCompletion, declaredTool, fixture } from "../answers";
import type { Profile } from "../types";

/**
 * OpenRouter: `{api_base}/chat/completions` under /api/v1, Bearer key. Takes optional
 * attribution headers (HTTP-Referer, X-OpenRouter-Title; openrouter.ai/docs, app attribution),
 * which the mock keeps for the tests to look at. Streams are OpenRouter's recorded ones, with its
 * `: OPENROUTER PROCESSING` comments and `reasoning` deltas.
 */
export const openrouter = (key: string): Profile => ({
  name: "openrouter",
  api: "openai",
  basePath: "/api/v1",
  key,
  auth: "bearer",
  models: ["anthropic/claude-sonnet-4.5", "z-ai/glm-4.6"],
  errorBody: (r) => ({
    error: { code: r.status, message: r.status === 401 ? "No auth credentials found" : r.message },
  }),
  answer(body) {
    if (body.stream === true)
      return { sse: fixture("openai-compatible/openrouter-reasoning-stream.sse") };
    return {
      json: chatCompletion({
        id: "gen-1767225600-probe0123456789ab",
        model: body.model,
        text: "ok",
        tool: declaredTool(body),
        extra: { provider: "Anthropic" },
      }),
    };
  },
});

/**
 * Azure OpenAI, v1 API: `https://{resource}.openai.azure.com/openai/v1/chat/completions`, no
 * api-version; the key in `api-key` or as a Bearer token (Microsoft's v1 examples pass it as the
 * OpenAI client's api_key, which sends Bearer), the deployment name as `model`. A reasoning
 * deployment refuses max_tokens with the recorded error body. Streams are Azure's recorded ones
 * (content-filter results on every chunk, a first chunk with no choices).
 */
const REASONING = new Set(["gpt-5-mini"]);

export const azure = (key: string): Profile => ({
  name: "azure",
  api: "openai",
  basePath: "/openai/v1",
  key,
  auth: "azure",
  models: ["gpt-4.1-mini", "gpt-5-mini"],
  errorBody(r) {
    if (r.code === "unsupported_parameter")
      return JSON.parse(fixture("openai/error-400-unsupported-parameter.json"));
    if (r.status === 401)
      return {
        error: {
          code: "401",
          message:
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        },
      };
    if (r.status === 404) return { error: { code: "DeploymentNotFound", message: r.message } };
    return { error: { code: r.code ?? "BadRequest", message: r.message } };
  },
  refuse(body) {
    if (REASONING.has(body.model) && "max_tokens" in body)
      return {
        status: 400,
        code: "unsupported_parameter",
        message: "Unsupported parameter: 'max_tokens' is not supported with this model.",
      };
    return undefined;
  },
  answer(body) {
    if (body.stream === true) return { sse: fixture("openai/azure-reasoning-usage-stream.sse") };
    return {
      json: chatCompletion({
        id: "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbu",
        model: body.model,
        text: "ok",
        tool: declaredTool(body),
        extra: { prompt_filter_results: [], system_fingerprint: null },
      }),
    };
  },
});
