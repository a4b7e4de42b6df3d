import type { GroupConfig, ModelConfig } from "../../config/types";
import type { RouterError } from "../../ir/error";
import {
  firstError,
  optionalBoolean,
  requireArray,
  requirePositiveInt,
  requireString,
} from "../check";
import type { InboundCall, Operation, Peek, UpstreamTarget, WireFormat } from "../types";
import { encodeError, errorBody } from "./error";
import { ANTHROPIC_STREAM_END } from "./stream-end";

export const DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

function peekRequest(body: Record<string, unknown>, op: Operation): Peek | RouterError {
  const err = firstError(
    requireString(body, "model"),
    requireArray(body, "messages"),
    op === "generate" ? requirePositiveInt(body, "max_tokens") : undefined,
    optionalBoolean(body, "stream"),
  );
  if (err) return err;
  return { group: body.model as string, stream: op === "generate" && body.stream === true };
}

/** One constant array: passthrough keeps its prepared request rewrite per path. */
const MODEL_PATH = ["model"] as const;

function upstreamTarget(model: ModelConfig, call: InboundCall): UpstreamTarget {
  const headers = new Headers({ "content-type": "application/json" });
  if (model.apiKey) headers.set("x-api-key", model.apiKey);
  // An Anthropic client's version and betas describe the body it wrote, so they travel with it
  // (unless the model says otherwise). Any other client's copies describe nothing the router
  // sends: a converted body is written for the default version, without beta fields.
  const forward = call.format === "anthropic" && model.forwardBetas !== false;
  headers.set(
    "anthropic-version",
    (forward && call.headers.get("anthropic-version")) || DEFAULT_ANTHROPIC_VERSION,
  );
  const beta = forward && call.headers.get("anthropic-beta");
  if (beta) headers.set("anthropic-beta", beta);
  const path = call.op === "countTokens" ? "/v1/messages/count_tokens" : "/v1/messages";
  return { url: model.apiBase + path, headers, bodyModelPath: MODEL_PATH };
}

const model = (g: GroupConfig) => ({
  type: "model",
  id: g.name,
  display_name: g.name,
  created_at: "1970-01-01T00:00:00Z",
});

export const anthropic: WireFormat = {
  name: "anthropic",
  encodeError,
  errorBody,
  streamError: (err) => `event: error\ndata: ${JSON.stringify(errorBody(err))}\n\n`,
  peekRequest,
  upstreamTarget,
  responseModel: { json: ["model"], sse: { path: ["message", "model"], onlyFirst: true } },
  streamEnd: ANTHROPIC_STREAM_END,
  listModels: (groups) => ({
    data: groups.map(model),
    has_more: false,
    first_id: groups[0]?.name ?? null,
    last_id: groups.at(-1)?.name ?? null,
  }),
  getModel: model,
};
