import type { RouterError } from "../../ir/error";
import type {
  CallRoute,
  Format,
  GroupInfo,
  InboundCall,
  ModelsRoute,
  Peek,
  UpstreamTarget,
} from "../format";
import type { UpstreamModel } from "../codec";
import { guard, isObject, peekFields, type Json } from "../read";
import type {
  CountTokensRequest,
  CountTokensResponse,
  GenerateContentRequest,
  ListModelsResponse,
  Model,
} from "./api";
import { modelsRoute, safeDecode } from "../routes";
import { geminiCodec } from "./codec";
import { encodeError, errorBody } from "./error";
import { isFetchableByGemini } from "./media";
import { conversationStart } from "./session";
import { GEMINI_STREAM_END } from "./stream-end";
import { usageReading } from "./usage";

/** The group comes from the URL path for Gemini; the body only has to be a request. */
function peekRequest(body: Json): Peek | RouterError {
  return guard(() => {
    // countTokens may wrap everything in generateContentRequest instead of sending contents.
    if (body.contents !== undefined || !isObject(body.generateContentRequest))
      peekFields.list(body, "contents");
    return { stream: false };
  });
}

const METHODS = new Map<string, Omit<CallRoute, "group" | "sse">>([
  ["generateContent", { op: "generate", stream: false }],
  ["streamGenerateContent", { op: "generate", stream: true }],
  ["countTokens", { op: "countTokens", stream: false }],
]);

const MODEL_PATH = /^\/v1(?:beta)?\/models\/(.+)$/;

/** `/v1beta/models/{group}:{method}`: the group and the operation are in the path. */
function match(path: string, url: URL): CallRoute | "unknown" | undefined {
  const found = MODEL_PATH.exec(path);
  if (!found) return undefined;
  const rest = safeDecode(found[1]!);
  if (rest === undefined) return "unknown";
  const colon = rest.lastIndexOf(":");
  // Without a method it is a model lookup, which the router serves for every format.
  if (colon <= 0) return undefined;
  const method = METHODS.get(rest.slice(colon + 1));
  if (!method) return "unknown";
  const group = rest.slice(0, colon).replace(/^models\//, "");
  return { ...method, group, sse: url.searchParams.get("alt") === "sse" };
}

/** Listings and lookups under both API versions; a lookup may name `models/{id}`. */
function models(path: string): ModelsRoute | "unknown" | undefined {
  const found = modelsRoute(path, ["/v1beta", "/v1"]);
  if (found === undefined || found === "unknown" || found.id === undefined) return found;
  return { id: found.id.replace(/^models\//, "") };
}

const METHOD = { generate: "generateContent", countTokens: "countTokens" } as const;

/**
 * The model travels in the URL; only countTokens' wrapped request names one in the body too (a
 * required field, `models/{id}`), which must be the upstream's, never the client's group.
 */
const COUNT_MODEL_PATH = ["generateContentRequest", "model"] as const;

function upstreamTarget(model: UpstreamModel, call: InboundCall): UpstreamTarget {
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

const model = (g: GroupInfo): Model => ({
  name: `models/${g.name}`,
  version: "llm-router",
  displayName: g.name,
  description: `llm-router model group ${g.name}`,
  supportedGenerationMethods: ["generateContent", "streamGenerateContent", "countTokens"],
});

/** Gemini generateContent, as the client's format and as an upstream's. */
export const gemini: Format = {
  id: "gemini",
  defaultApiBase: "https://generativelanguage.googleapis.com/v1beta",
  routes: { match, models },
  // @google/genai 3 defaults to /v1 paths: its headers tell it apart.
  clientMarks: { pathPrefixes: ["/v1beta/"], headers: ["x-goog-api-key", "x-goog-api-client"] },
  clientKeys: { headers: ["x-goog-api-key"], query: ["key"] },
  peekRequest,
  listModels: (groups): ListModelsResponse => ({ models: groups.map(model) }),
  getModel: model,
  encodeError,
  errorBody,
  // @google/genai checks every data frame for an error object.
  streamError: (err) => `data: ${JSON.stringify(errorBody(err))}\r\n\r\n`,
  // An SSE comment, in Google's CRLF framing: the SDK keeps only events that open with `data:`.
  // The streamed JSON array gets none: its only possible filler is whitespace between elements,
  // and clients read that array a network read at once (the SDK takes a read that is a bare JSON
  // object for an error), so a read of spaces would be a broken element; the agents whose
  // watchdogs keep-alives are for all ask for SSE.
  streamKeepAlive: ": keep-alive\r\n\r\n",
  upstreamTarget,
  accountHeaders: [],
  responseModel: {
    json: ["modelVersion"],
    sse: { path: ["modelVersion"] },
    jsonArray: ["*", "modelVersion"],
  },
  streamEnd: GEMINI_STREAM_END,
  // Gemini reads only inline media, its own file URIs, YouTube and Cloud Storage links.
  usage: usageReading,
  mustInline: (part) => !isFetchableByGemini(part.url!),
  conversationStart,
  countTokens: {
    request: (body) => (isObject(body.generateContentRequest) ? body.generateContentRequest : body),
    answer: (tokens): CountTokensResponse => ({ totalTokens: tokens }),
    // `encoded` is this codec's encodeRequest output, a GenerateContentRequest.
    upstreamBody: (encoded, target): CountTokensRequest => ({
      generateContentRequest: {
        model: `models/${target.model}`,
        ...(encoded as GenerateContentRequest),
      },
    }),
    upstreamCount: (answer) =>
      isObject(answer) && typeof answer.totalTokens === "number" ? answer.totalTokens : undefined,
  },
  codec: geminiCodec,
};
