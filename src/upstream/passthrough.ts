import type { ModelConfig } from "../config/types";
import type { RouterError } from "../ir/error";
import { JsonStringRewriter } from "../wire/json/string-rewriter";
import { jsonStringRewriteStream } from "../wire/json/rewrite-stream";
import { sseDataRewriter } from "../wire/sse/data-rewriter";
import type { InboundCall, WireFormat } from "../wire/types";
import { callUpstream } from "./fetch";
import { applyHeaderRewrite, responseHeaders } from "./headers";
import { mergePatch } from "./merge-patch";


/**
 * Same format in and out: the request is forwarded with only the model, auth headers and
 * configured rewrites changed, and the response streams back byte for byte except for the one
 * value that names the model, which names the client's group instead (Claude Code drops its
 * thinking history when the answer names another model). The upstream model goes in a header.
 */
export async function passthrough(call: InboundCall, model: ModelConfig, wire: WireFormat, signal: AbortSignal): Promise<Response | RouterError> {
  const target = wire.upstreamTarget(model, call);
  applyHeaderRewrite(target.headers, model.rewriteHeader);
  const res = await callUpstream({ url: target.url, headers: target.headers, body: requestBody(call, model, target.bodyModelPath), signal });
  if (res instanceof Response === false) return res;

  const headers = responseHeaders(res.headers);
  headers.set("x-llm-router-model", model.name);
  headers.set("x-llm-router-upstream-model", model.model);
  // Errors pass through untouched: they are already in the client's format.
  if (!res.ok || !res.body) return new Response(res.body, { status: res.status, headers });

  const type = res.headers.get("content-type") ?? "";
  const edit = wire.responseModel;
  let transform: TransformStream<Uint8Array, Uint8Array>;
  if (type.includes("text/event-stream")) {
    transform = sseDataRewriter(edit.sse, call.group);
    headers.set("cache-control", "no-cache");
    headers.set("x-accel-buffering", "no");
  } else if (call.stream && edit.jsonArray) {
    transform = jsonStringRewriteStream(edit.jsonArray, call.group, false);
  } else {
    transform = jsonStringRewriteStream(edit.json, call.group, true);
  }
  return new Response(res.body.pipeThrough(transform), { status: res.status, headers });
}

/**
 * The upstream body. Without a body rewrite the client's bytes are kept and only the model
 * value is replaced in place (every top-level occurrence, so a duplicated key cannot smuggle
 * the group name through); with one, the merge patch needs the parsed body.
 */
function requestBody(call: InboundCall, model: ModelConfig, modelPath: readonly string[] | undefined): Uint8Array | string {
  // Rewrites are written for generation requests; token counting endpoints reject extra fields.
  if (model.rewriteBody && call.op === "generate") {
    const body = modelPath ? { ...call.body, model: model.model } : call.body;
    return JSON.stringify(mergePatch(body, model.rewriteBody));
  }
  if (!modelPath) return call.raw;
  return new JsonStringRewriter(modelPath, model.model, { once: false }).push(call.raw);
}

