import type { RouterError } from "../../ir/error";
import type { CallRoute, Format, InboundCall, Peek, UpstreamTarget } from "../format";
import { openai } from "../openai";
import type { UpstreamModel } from "../codec";
import { bad, guard, isObject, peekFields, type Json } from "../read";
import type { InputTokensAnswer } from "./api";
import { responsesCodec } from "./codec";
import { encodeError, errorBody, streamError } from "./error";
import { conversationStart, sessionField } from "./session";
import { RESPONSES_STREAM_END } from "./stream-end";
import { usageReading } from "./usage";

function peekRequest(body: Json): Peek | RouterError {
  return guard(() => {
    const group = peekFields.name(body, "model");
    // `input` is a string or a list of items; a count request may have neither (only a conversation).
    const input = body.input;
    if (input !== undefined && typeof input !== "string" && !Array.isArray(input))
      bad("input", "must be a string or an array of input items");
    return { group, stream: peekFields.flag(body, "stream") };
  });
}

const ROUTES = new Map<string, CallRoute>([
  ["/v1/responses", { op: "generate" }],
  ["/responses", { op: "generate" }],
  ["/v1/responses/input_tokens", { op: "countTokens", stream: false }],
  ["/responses/input_tokens", { op: "countTokens", stream: false }],
]);

/** One constant array: passthrough keeps its prepared request rewrite per path. */
const MODEL_PATH = ["model"] as const;

function upstreamTarget(model: UpstreamModel, call: InboundCall): UpstreamTarget {
  const headers = new Headers({ "content-type": "application/json" });
  if (model.apiKey) headers.set("authorization", `Bearer ${model.apiKey}`);
  const path = call.op === "countTokens" ? "/responses/input_tokens" : "/responses";
  return { url: model.apiBase + path, headers, bodyModelPath: MODEL_PATH };
}

/** What `/responses/input_tokens` takes of a generation request: the parts that are input. */
const COUNTED = ["model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls"];
const countableBody = (body: Json): Json =>
  Object.fromEntries(COUNTED.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));

/**
 * The OpenAI Responses API (what Codex and the AI SDK's OpenAI provider speak), as the client's
 * format and as an upstream's (`api_type: responses`, `api_base` ending in `/v1`).
 */
export const responses: Format = {
  id: "responses",
  defaultApiBase: "https://api.openai.com/v1",
  routes: {
    match: (path) =>
      ROUTES.get(path) ?? (path.startsWith("/v1/responses/") ? "unknown" : undefined),
    models: () => undefined,
  },
  // Its clients also list models on `/v1/models`, which the OpenAI listing answers alike.
  clientMarks: { pathPrefixes: ["/v1/responses", "/responses"], headers: [] },
  clientKeys: { headers: [], query: [] },
  peekRequest,
  // The Responses API has no listing of its own: its clients list models as OpenAI's do.
  listModels: openai.listModels,
  getModel: openai.getModel,
  encodeError,
  errorBody,
  streamError,
  // An SSE comment: every SSE reader skips it (the Responses API has no keep-alive event).
  streamKeepAlive: ": keep-alive\n\n",
  upstreamTarget,
  accountHeaders: ["openai-organization", "openai-project"],
  // Every lifecycle event (created, in_progress, completed …) carries the whole response object.
  responseModel: { json: ["model"], sse: { path: ["response", "model"] } },
  streamEnd: RESPONSES_STREAM_END,
  // Images by URL are fetched by the Responses API itself; documents go inline (file_data),
  // which every deployment accepts.
  usage: usageReading,
  mustInline: (part) => part.type === "file",
  sessionField,
  conversationStart,
  countTokens: {
    request: (body) => body,
    answer: (tokens): InputTokensAnswer => ({
      object: "response.input_tokens",
      input_tokens: tokens,
    }),
    upstreamBody: countableBody,
    upstreamCount: (answer) =>
      isObject(answer) && typeof answer.input_tokens === "number" ? answer.input_tokens : undefined,
  },
  codec: responsesCodec,
};
