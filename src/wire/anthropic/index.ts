import type { RouterError } from "../../ir/error";
import type {
  CallRoute,
  Format,
  GroupInfo,
  InboundCall,
  Operation,
  Peek,
  UpstreamTarget,
} from "../format";
import type { UpstreamModel } from "../codec";
import { guard, isObject, peekFields, type Json } from "../read";
import type { ModelInfo, ModelList } from "./api";
import { modelsRoute } from "../routes";
import { anthropicCodec } from "./codec";
import { encodeError, errorBody } from "./error";
import { conversationStart, sessionField } from "./session";
import { ANTHROPIC_STREAM_END } from "./stream-end";
import { usageReading } from "./usage";

const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

function peekRequest(body: Json, op: Operation): Peek | RouterError {
  return guard(() => {
    const group = peekFields.name(body, "model");
    peekFields.list(body, "messages");
    if (op === "generate") peekFields.positiveInt(body, "max_tokens");
    const stream = peekFields.flag(body, "stream");
    return { group, stream: op === "generate" && stream };
  });
}

const ROUTES = new Map<string, CallRoute>([
  ["/v1/messages", { op: "generate" }],
  ["/v1/messages/count_tokens", { op: "countTokens" }],
]);

/** One constant array: passthrough keeps its prepared request rewrite per path. */
const MODEL_PATH = ["model"] as const;

function upstreamTarget(model: UpstreamModel, call: InboundCall): UpstreamTarget {
  const headers = new Headers({ "content-type": "application/json" });
  if (model.apiKey) headers.set("x-api-key", model.apiKey);
  // An Anthropic client's version and betas describe the body it wrote, so they travel with it
  // (unless the model says otherwise). Any other client's copies describe nothing the router
  // sends: a converted body is written for the default version, without beta fields.
  const forward = call.format === anthropic.id && model.forwardBetas !== false;
  headers.set(
    "anthropic-version",
    (forward && call.headers.get("anthropic-version")) || DEFAULT_ANTHROPIC_VERSION,
  );
  const beta = forward && call.headers.get("anthropic-beta");
  if (beta) headers.set("anthropic-beta", beta);
  const path = call.op === "countTokens" ? "/v1/messages/count_tokens" : "/v1/messages";
  return { url: model.apiBase + path, headers, bodyModelPath: MODEL_PATH };
}

const model = (g: GroupInfo): ModelInfo => ({
  type: "model",
  id: g.name,
  display_name: g.name,
  created_at: "1970-01-01T00:00:00Z",
});

/** count_tokens takes the generation body minus the knobs that only shape the output. */
function countableBody(body: Json): Json {
  const { model, messages, system, tools, tool_choice, thinking } = body;
  const kept = { model, messages, system, tools, tool_choice, thinking };
  return Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined));
}

/** Anthropic Messages, as the client's format and as an upstream's. */
export const anthropic: Format = {
  id: "anthropic",
  defaultApiBase: "https://api.anthropic.com",
  routes: { match: (path) => ROUTES.get(path), models: (path) => modelsRoute(path, ["/v1"]) },
  clientMarks: { pathPrefixes: ["/v1/messages"], headers: ["anthropic-version", "x-api-key"] },
  clientKeys: { headers: ["x-api-key"], query: [] },
  peekRequest,
  listModels: (groups): ModelList => ({
    data: groups.map(model),
    has_more: false,
    first_id: groups[0]?.name ?? null,
    last_id: groups.at(-1)?.name ?? null,
  }),
  getModel: model,
  encodeError,
  errorBody,
  streamError: (err) => `event: error\ndata: ${JSON.stringify(errorBody(err))}\n\n`,
  // The API's own keep-alive, byte for byte as it sends it; clients are told to ignore pings.
  streamKeepAlive: 'event: ping\ndata: {"type": "ping"}\n\n',
  upstreamTarget,
  accountHeaders: ["anthropic-organization-id"],
  responseModel: { json: ["model"], sse: { path: ["message", "model"], onlyFirst: true } },
  streamEnd: ANTHROPIC_STREAM_END,
  // Images and PDFs by URL are fetched by Anthropic itself.
  usage: usageReading,
  mustInline: () => false,
  sessionField,
  conversationStart,
  countTokens: {
    request: (body) => body,
    answer: (tokens) => ({ input_tokens: tokens }),
    upstreamBody: countableBody,
    upstreamCount: (answer) =>
      isObject(answer) && typeof answer.input_tokens === "number" ? answer.input_tokens : undefined,
  },
  codec: anthropicCodec,
};
