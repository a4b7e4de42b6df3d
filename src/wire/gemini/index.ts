import type { GroupConfig, ModelConfig } from "../../config/types";
import type { RouterError } from "../../ir/error";
import { requireArray } from "../check";
import type { InboundCall, Peek, UpstreamTarget, WireFormat } from "../types";
import { encodeError, errorBody } from "./error";
import { GEMINI_STREAM_END } from "./stream-end";

/** The group comes from the URL path for Gemini; the body only has to be a request. */
function peekRequest(body: Record<string, unknown>): Peek | RouterError {
  // countTokens may wrap everything in generateContentRequest instead of sending contents.
  if (
    body.contents === undefined &&
    typeof body.generateContentRequest === "object" &&
    body.generateContentRequest !== null
  )
    return { stream: false };
  const err = requireArray(body, "contents");
  if (err) return err;
  return { stream: false };
}

const METHOD = { generate: "generateContent", countTokens: "countTokens" } as const;

/**
 * The model travels in the URL; only countTokens' wrapped request names one in the body too (a
 * required field, `models/{id}`), which must be the upstream's, never the client's group.
 */
const COUNT_MODEL_PATH = ["generateContentRequest", "model"] as const;

function upstreamTarget(model: ModelConfig, call: InboundCall): UpstreamTarget {
  const headers = new Headers({ "content-type": "application/json" });
  if (model.apiKey) headers.set("x-goog-api-key", model.apiKey);
  const method = call.stream ? "streamGenerateContent" : METHOD[call.op];
  // Keep the stream framing the client chose: SSE, or the streamed JSON array without `alt`.
  const query = call.stream && call.sse ? "?alt=sse" : "";
  const url = `${model.apiBase}/models/${encodeURIComponent(model.model)}:${method}${query}`;
  if (call.op === "countTokens")
    return { url, headers, bodyModelPath: COUNT_MODEL_PATH, bodyModel: `models/${model.model}` };
  return { url, headers };
}

const model = (g: GroupConfig) => ({
  name: `models/${g.name}`,
  version: "llm-router",
  displayName: g.name,
  description: `llm-router model group ${g.name}`,
  supportedGenerationMethods: ["generateContent", "streamGenerateContent", "countTokens"],
});

export const gemini: WireFormat = {
  name: "gemini",
  encodeError,
  errorBody,
  // @google/genai checks every data frame for an error object.
  streamError: (err) => `data: ${JSON.stringify(errorBody(err))}\r\n\r\n`,
  peekRequest,
  upstreamTarget,
  responseModel: {
    json: ["modelVersion"],
    sse: { path: ["modelVersion"] },
    jsonArray: ["*", "modelVersion"],
  },
  streamEnd: GEMINI_STREAM_END,
  listModels: (groups) => ({ models: groups.map(model) }),
  getModel: model,
};
