import type { RouterError } from "../../ir/error";
import { routerError } from "../../ir/error";
import type { IRRequest, ReasoningConfig, ReasoningEffort, ResponseFormat } from "../../ir/request";
import type { Warnings } from "../../ir/warning";
import { own } from "../lookup";
import { decodeStopSequences, decodeVerbosity } from "../openai/request-decode";
import type { CodecContext } from "../codec";
import { asObject, at, bad, fields, guard, isObject, reject, type Json } from "../read";
import { Conversation, decodeItems } from "./input-decode";
import { decodeToolChoice, decodeTools, type ToolList } from "./tools-decode";

const { optArray, optBool, optInt, optNumber, optObject, optString, optStrings, reqString } =
  fields;

/**
 * A Responses client's body → IR. It runs only when the upstream speaks another format (a
 * Responses upstream gets the body as it came), so every field that upstream cannot honour is
 * reported here, once. Conversation state kept by OpenAI (previous_response_id, conversation,
 * stored prompts, background runs) cannot be converted: the router keeps none, so they are a 400.
 */
export function decodeRequest(body: Json, ctx: CodecContext): IRRequest | RouterError {
  return guard(() => decodeBody(body, ctx), { codec: "responses" });
}

const STATELESS =
  "llm-router keeps no conversation state: send the whole conversation in `input` " +
  "(previous_response_id works only with a responses upstream, unconverted)";

/** Fields this decoder reads, or knowingly ignores (they change nothing in the answer). */
const KNOWN: ReadonlySet<string> = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_output_tokens",
  "temperature",
  "top_p",
  "stop",
  "reasoning",
  "text",
  "stream",
  "stream_options",
  "store",
  "include",
  "metadata",
  "prompt_cache_key",
  "safety_identifier",
  "user",
  "previous_response_id",
  "conversation",
  "prompt",
  "background",
  "service_tier",
  "truncation",
  "top_logprobs",
  // Codex's own telemetry (installation and session ids): not for the model.
  "client_metadata",
]);

/** Accepted and reported as dropped when set: they have no counterpart outside OpenAI. */
const DROPPED: Record<string, string> = {
  max_tool_calls: "no other format limits the number of built-in tool calls",
  prompt_cache_retention: "only OpenAI keeps prompt caches by retention policy",
  prompt_cache_options: "only OpenAI takes explicit prompt-cache options",
  context_management: "server-side compaction needs a Responses upstream",
  moderation: "only OpenAI moderates a response on request",
};

function decodeBody(body: Json, ctx: CodecContext): IRRequest {
  const w = ctx.warnings;
  for (const key of ["previous_response_id", "conversation"])
    if (body[key] !== undefined && body[key] !== null)
      reject(routerError("invalid_request", `${key}: ${STATELESS}`));
  if (body.prompt !== undefined && body.prompt !== null)
    reject(
      routerError(
        "invalid_request",
        "prompt: stored prompt templates live in OpenAI's storage and cannot be sent to this model; send instructions and input instead",
      ),
    );
  if (optBool(body, "background", "") === true)
    reject(
      routerError(
        "invalid_request",
        "background: llm-router answers in the request itself and keeps no responses to poll; leave background unset",
      ),
    );

  const input = body.input;
  const items = Array.isArray(input) ? input : undefined;
  if (input !== undefined && input !== null && typeof input !== "string" && !items)
    bad("input", "expected a string or an array of input items");

  const lists: ToolList[] = [{ raw: optArray(body, "tools", "") ?? [], path: "tools" }];
  // Responses Lite declares tools in `additional_tools` items instead.
  items?.forEach((item, i) => {
    if (isObject(item) && item.type === "additional_tools") {
      const path = `input[${i}]`;
      lists.push({ raw: optArray(item, "tools", path) ?? [], path: at(path, "tools") });
    }
  });
  const tools = decodeTools(lists, ctx.clientTools, w);

  const conv = new Conversation();
  const instructions = optString(body, "instructions", "");
  if (instructions) conv.addSystem([{ type: "text", text: instructions }]);
  if (typeof input === "string")
    conv.addUser({ role: "user", parts: [{ type: "text", text: input }] });
  else if (items) decodeItems(items, conv, tools, w);

  const req: IRRequest = {
    model: reqString(body, "model", ""),
    system: conv.system,
    messages: conv.messages,
    tools: tools.tools,
    stream: optBool(body, "stream", "") ?? false,
  };
  const set = <K extends keyof IRRequest>(key: K, value: IRRequest[K] | undefined) => {
    if (value !== undefined) req[key] = value;
  };
  set("toolChoice", decodeToolChoice(body.tool_choice, tools, w));
  set("parallelToolCalls", optBool(body, "parallel_tool_calls", ""));
  set("maxTokens", optInt(body, "max_output_tokens", "", 1));
  set("temperature", optNumber(body, "temperature", ""));
  set("topP", optNumber(body, "top_p", ""));
  // Not a Responses parameter, but sent by clients written for Chat: taken as Chat defines it.
  set("stop", decodeStopSequences(body.stop));
  set("user", optString(body, "safety_identifier", "") ?? optString(body, "user", ""));
  set("promptCacheKey", optString(body, "prompt_cache_key", ""));
  set("reasoning", decodeReasoning(optObject(body, "reasoning", ""), w));
  const text = optObject(body, "text", "");
  if (text) {
    set("responseFormat", decodeTextFormat(optObject(text, "format", "text"), w));
    set("verbosity", decodeVerbosity(optString(text, "verbosity", "text"), "text.verbosity"));
  }
  reportUnconvertible(body, w);
  return req;
}

const EFFORTS: ReadonlySet<string> = new Set<ReasoningEffort>([
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
]);

function decodeReasoning(r: Json | undefined, w: Warnings): ReasoningConfig | undefined {
  if (!r) return undefined;
  const out: ReasoningConfig = {};
  const effort = optString(r, "effort", "reasoning");
  if (effort === "max") {
    w.add("approximated", "reasoning.effort", "max → xhigh, the highest effort other formats know");
    out.effort = "xhigh";
  } else if (effort !== undefined && EFFORTS.has(effort)) out.effort = effort as ReasoningEffort;
  else if (effort !== undefined)
    w.add("dropped", "reasoning.effort", `unknown effort "${effort}"; the model's default applies`);
  // A summary of any detail asks to see the reasoning; other formats show it whole.
  const summary =
    optString(r, "summary", "reasoning") ?? optString(r, "generate_summary", "reasoning");
  if (summary !== undefined) out.include = true;
  const context = optString(r, "context", "reasoning");
  if (context !== undefined && context !== "auto")
    w.add("dropped", "reasoning.context", "the upstream decides which earlier reasoning it reads");
  const mode = optString(r, "mode", "reasoning");
  if (mode !== undefined && mode !== "standard")
    w.add("dropped", "reasoning.mode", "only OpenAI has reasoning modes");
  return Object.keys(out).length ? out : undefined;
}

function decodeTextFormat(f: Json | undefined, w: Warnings): ResponseFormat | undefined {
  if (!f) return undefined;
  const type = reqString(f, "type", "text.format");
  if (type === "text") return { type: "text" };
  if (type === "json_object") return { type: "json" };
  if (type !== "json_schema")
    return bad(
      "text.format.type",
      `expected "text", "json_object" or "json_schema", got "${type}"`,
    );
  const out: ResponseFormat = {
    type: "json_schema",
    schema: optObject(f, "schema", "text.format") ?? bad("text.format.schema", "field required"),
  };
  const name = optString(f, "name", "text.format");
  if (name !== undefined) out.name = name;
  const strict = optBool(f, "strict", "text.format");
  if (strict !== undefined) out.strict = strict;
  if (optString(f, "description", "text.format") !== undefined)
    w.add(
      "dropped",
      "text.format.description",
      "other formats take a schema without a description",
    );
  return out;
}

/** Fields the upstream cannot honour, each reported; fields no version of the API has, too. */
function reportUnconvertible(body: Json, w: Warnings): void {
  if (optBool(body, "store", "") === true)
    w.add(
      "dropped",
      "store",
      "the response is not stored: only a Responses upstream stores responses",
    );
  const metadata = optObject(body, "metadata", "");
  if (metadata && Object.keys(metadata).length)
    w.add("dropped", "metadata", "only OpenAI stores metadata with a response");
  for (const value of optStrings(body, "include", "") ?? [])
    if (value !== "reasoning.encrypted_content")
      w.add("dropped", `include=${value}`, "the upstream's format has no such output");
  const tier = optString(body, "service_tier", "");
  if (tier !== undefined && tier !== "auto" && tier !== "default")
    w.add("dropped", "service_tier", "only OpenAI has service tiers");
  if (optString(body, "truncation", "") === "auto")
    w.add(
      "dropped",
      "truncation",
      "the upstream does not drop old input to fit; a long input fails",
    );
  if ((optInt(body, "top_logprobs", "", 0) ?? 0) > 0)
    w.add("dropped", "top_logprobs", "log probabilities are not converted");
  for (const [key, value] of Object.entries(body)) {
    if (KNOWN.has(key) || value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    const why = own(DROPPED, key);
    w.add("dropped", key, why ?? "not a Responses API parameter the router can convert");
  }
  // Validated even though unused: a malformed body is a 400 whatever the upstream.
  if (body.stream_options !== undefined && body.stream_options !== null)
    asObject(body.stream_options, "stream_options");
}
