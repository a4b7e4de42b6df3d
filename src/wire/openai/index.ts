import type { RouterError } from "../../ir/error";
import type { CallRoute, Format, GroupInfo, Peek, UpstreamTarget } from "../format";
import type { UpstreamModel } from "../codec";
import { guard, peekFields, type Json } from "../read";
import type { Model, ModelList } from "./api";
import { modelsRoute } from "../routes";
import { openaiCodec } from "./codec";
import { encodeError, errorBody } from "./error";
import { swapTokenLimit } from "./probe";
import { conversationStart, sessionField } from "./session";
import { OPENAI_STREAM_END } from "./stream-end";
import { usageReading } from "./usage";

function peekRequest(body: Json): Peek | RouterError {
  return guard(() => {
    const group = peekFields.name(body, "model");
    peekFields.list(body, "messages");
    return { group, stream: peekFields.flag(body, "stream") };
  });
}

const CHAT: CallRoute = { op: "generate" };
const ROUTES = new Map<string, CallRoute>([
  ["/v1/chat/completions", CHAT],
  ["/chat/completions", CHAT],
]);

/** One constant array: passthrough keeps its prepared request rewrite per path. */
const MODEL_PATH = ["model"] as const;

function upstreamTarget(model: UpstreamModel): UpstreamTarget {
  const headers = new Headers({ "content-type": "application/json" });
  if (model.apiKey) headers.set("authorization", `Bearer ${model.apiKey}`);
  return { url: `${model.apiBase}/chat/completions`, headers, bodyModelPath: MODEL_PATH };
}

// `created` is fixed: groups have no creation date, and clients only display it.
const model = (g: GroupInfo): Model => ({
  id: g.name,
  object: "model",
  created: 0,
  owned_by: "llm-router",
});

/** OpenAI Chat Completions, as the client's format and as an upstream's. */
export const openai: Format = {
  id: "openai",
  defaultApiBase: "https://api.openai.com/v1",
  routes: { match: (path) => ROUTES.get(path), models: (path) => modelsRoute(path, ["/v1", ""]) },
  // Its clients carry nothing the others' lack (a Bearer key is everyone's): it is the fallback.
  clientMarks: { pathPrefixes: [], headers: [] },
  clientKeys: { headers: [], query: [] },
  peekRequest,
  listModels: (groups): ModelList => ({ object: "list", data: groups.map(model) }),
  getModel: model,
  encodeError,
  errorBody,
  streamError: (err) => `data: ${JSON.stringify(errorBody(err))}\n\n`,
  // An SSE comment: every SSE reader skips it.
  streamKeepAlive: ": keep-alive\n\n",
  upstreamTarget,
  accountHeaders: ["openai-organization", "openai-project"],
  responseModel: { json: ["model"], sse: { path: ["model"] } },
  streamEnd: OPENAI_STREAM_END,
  // Chat Completions takes images by URL, but documents only inline.
  usage: usageReading,
  mustInline: (part) => part.type === "file",
  sessionField,
  conversationStart,
  retryProbe: swapTokenLimit,
  codec: openaiCodec,
};
