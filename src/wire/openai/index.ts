import type { GroupConfig, ModelConfig } from "../../config/types";
import type { RouterError } from "../../ir/error";
import { firstError, optionalBoolean, requireArray, requireString } from "../check";
import type { InboundCall, Peek, UpstreamTarget, WireFormat } from "../types";
import { encodeError, errorBody } from "./error";
import { OPENAI_STREAM_END } from "./stream-end";

function peekRequest(body: Record<string, unknown>): Peek | RouterError {
  const err = firstError(
    requireString(body, "model"),
    requireArray(body, "messages"),
    optionalBoolean(body, "stream"),
  );
  if (err) return err;
  return { group: body.model as string, stream: body.stream === true };
}

/** One constant array: passthrough keeps its prepared request rewrite per path. */
const MODEL_PATH = ["model"] as const;

function upstreamTarget(model: ModelConfig): UpstreamTarget {
  const headers = new Headers({ "content-type": "application/json" });
  if (model.apiKey) headers.set("authorization", `Bearer ${model.apiKey}`);
  return { url: `${model.apiBase}/chat/completions`, headers, bodyModelPath: MODEL_PATH };
}

// `created` is fixed: groups have no creation date, and clients only display it.
const model = (g: GroupConfig) => ({
  id: g.name,
  object: "model",
  created: 0,
  owned_by: "llm-router",
});

export const openai: WireFormat = {
  name: "openai",
  encodeError,
  errorBody,
  streamError: (err) => `data: ${JSON.stringify(errorBody(err))}\n\n`,
  peekRequest,
  upstreamTarget: (m: ModelConfig, _call: InboundCall) => upstreamTarget(m),
  responseModel: { json: ["model"], sse: { path: ["model"] } },
  streamEnd: OPENAI_STREAM_END,
  listModels: (groups) => ({ object: "list", data: groups.map(model) }),
  getModel: model,
};
