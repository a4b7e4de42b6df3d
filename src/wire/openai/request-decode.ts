import type { Extensions } from "../../ir/content";
import type { RouterError } from "../../ir/error";
import type {
  IRRequest,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
  ToolDef,
} from "../../ir/request";
import type { Warnings } from "../../ir/warning";
import type { CodecContext } from "../codec";
import { asObject, at, bad, fields, guard, isObject, type Json } from "../read";
import type { ChatCompletionRequest } from "./api";
import { decodeMessages } from "./messages-decode";

const { optArray, optBool, optInt, optNumber, optObject, optString, reqString } = fields;

/** Keys this decoder turns into IR fields; every other key is kept in `ext.openai`. */
const MAPPED: ReadonlySet<string> = new Set<keyof ChatCompletionRequest>([
  "model",
  "messages",
  "tools",
  "functions",
  "tool_choice",
  "function_call",
  "parallel_tool_calls",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "stop",
  "seed",
  "user",
  "prompt_cache_key",
  "verbosity",
  "n",
  "presence_penalty",
  "frequency_penalty",
  "response_format",
  "reasoning_effort",
  "stream",
  "stream_options",
]);

const EFFORTS: readonly ReasoningEffort[] = ["none", "minimal", "low", "medium", "high", "xhigh"];

export function decodeRequest(body: Json, ctx: CodecContext): IRRequest | RouterError {
  return guard(() => decodeBody(body, ctx), { codec: "openai" });
}

function decodeBody(body: Json, ctx: CodecContext): IRRequest {
  const messages = optArray(body, "messages", "");
  if (!messages) bad("messages", "field required");
  const decoded = decodeMessages(messages, ctx.warnings);
  const req: IRRequest = {
    model: reqString(body, "model", ""),
    system: decoded.system,
    messages: decoded.messages,
    tools: decodeTools(body),
    stream: optBool(body, "stream", "") ?? false,
  };
  const set = <K extends keyof IRRequest>(key: K, value: IRRequest[K] | undefined) => {
    if (value !== undefined) req[key] = value;
  };
  set("toolChoice", decodeToolChoice(body, ctx.warnings));
  set("parallelToolCalls", optBool(body, "parallel_tool_calls", ""));
  set(
    "maxTokens",
    optInt(body, "max_completion_tokens", "", 1) ?? optInt(body, "max_tokens", "", 1),
  );
  set("temperature", optNumber(body, "temperature", ""));
  set("topP", optNumber(body, "top_p", ""));
  set("topK", optInt(body, "top_k", "", 0));
  set("stop", decodeStopSequences(body.stop));
  set("seed", optInt(body, "seed", "", Number.MIN_SAFE_INTEGER));
  set("user", optString(body, "user", ""));
  set("promptCacheKey", optString(body, "prompt_cache_key", ""));
  set("verbosity", decodeVerbosity(optString(body, "verbosity", ""), "verbosity"));
  set("n", optInt(body, "n", "", 1));
  set("presencePenalty", optNumber(body, "presence_penalty", ""));
  set("frequencyPenalty", optNumber(body, "frequency_penalty", ""));
  set("responseFormat", decodeResponseFormat(body));
  const effort = optString(body, "reasoning_effort", "");
  if (effort !== undefined) {
    if (!EFFORTS.includes(effort as ReasoningEffort))
      bad("reasoning_effort", `expected one of ${EFFORTS.join(", ")}`);
    req.reasoning = { effort: effort as ReasoningEffort };
  }
  const streamOptions = optObject(body, "stream_options", "");
  if (streamOptions && optBool(streamOptions, "include_usage", "stream_options") === true)
    req.streamUsage = true;
  const rest = Object.entries(body).filter(([k, v]) => !MAPPED.has(k) && v !== undefined);
  if (rest.length) req.ext = { openai: Object.fromEntries(rest) };
  return req;
}

function decodeTools(body: Json): ToolDef[] {
  const tools = (optArray(body, "tools", "") ?? []).map((item, i) => {
    const path = `tools[${i}]`;
    const t = asObject(item, path);
    if (t.type !== undefined && t.type !== "function")
      bad(at(path, "type"), `only function tools can be converted, got ${JSON.stringify(t.type)}`);
    return toolDef(
      asObject(t.function, at(path, "function")),
      at(path, "function"),
      t.cache_control,
    );
  });
  const legacy = (optArray(body, "functions", "") ?? []).map((item, i) =>
    toolDef(asObject(item, `functions[${i}]`), `functions[${i}]`, undefined),
  );
  return [...tools, ...legacy];
}

function toolDef(fn: Json, path: string, cacheControl: unknown): ToolDef {
  const def: ToolDef = {
    name: reqString(fn, "name", path),
    schema: optObject(fn, "parameters", path) ?? { type: "object", properties: {} },
  };
  const description = optString(fn, "description", path);
  if (description !== undefined) def.description = description;
  const strict = optBool(fn, "strict", path);
  if (strict !== undefined) def.strict = strict;
  if (cacheControl !== undefined) def.ext = { anthropic: { cacheControl } } satisfies Extensions;
  return def;
}

function decodeToolChoice(body: Json, warnings: Warnings): ToolChoice | undefined {
  const modes = (v: string, path: string): ToolChoice => {
    if (v === "auto" || v === "none" || v === "required") return { type: v };
    return bad(path, `expected "auto", "none", "required" or a function, got ${JSON.stringify(v)}`);
  };
  const tc = body.tool_choice;
  if (typeof tc === "string") return modes(tc, "tool_choice");
  if (isObject(tc)) {
    if (tc.type === "function")
      return {
        type: "tool",
        name: reqString(
          asObject(tc.function, "tool_choice.function"),
          "name",
          "tool_choice.function",
        ),
      };
    if (tc.type === "allowed_tools") {
      const allowed = asObject(tc.allowed_tools, "tool_choice.allowed_tools");
      warnings.add(
        "approximated",
        "tool_choice.allowed_tools",
        "the restriction to a subset of tools was dropped; its mode was kept",
      );
      return modes(
        reqString(allowed, "mode", "tool_choice.allowed_tools"),
        "tool_choice.allowed_tools.mode",
      );
    }
    return bad("tool_choice.type", `unsupported tool_choice type ${JSON.stringify(tc.type)}`);
  }
  if (tc !== undefined && tc !== null) return bad("tool_choice", "expected a string or an object");
  const legacy = body.function_call;
  if (legacy === "none" || legacy === "auto") return { type: legacy };
  if (typeof legacy === "string")
    return bad(
      "function_call",
      `expected "auto", "none" or an object, got ${JSON.stringify(legacy)}`,
    );
  if (isObject(legacy)) return { type: "tool", name: reqString(legacy, "name", "function_call") };
  if (legacy !== undefined && legacy !== null)
    return bad("function_call", "expected a string or an object");
  return undefined;
}

const VERBOSITY: ReadonlySet<string> = new Set(["low", "medium", "high"]);

/** OpenAI's verbosity, at the top level in Chat and under `text` in Responses. */
export function decodeVerbosity(v: string | undefined, path: string): IRRequest["verbosity"] {
  if (v === undefined) return undefined;
  if (!VERBOSITY.has(v)) bad(path, 'expected "low", "medium" or "high"');
  return v as IRRequest["verbosity"];
}

/** Chat's `stop`: one string or a list of them (the Responses decoder takes it the same way). */
export function decodeStopSequences(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  if (typeof stop === "string") return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) return stop as string[];
  return bad("stop", "expected a string or an array of strings");
}

function decodeResponseFormat(body: Json): ResponseFormat | undefined {
  const rf = optObject(body, "response_format", "");
  if (!rf) return undefined;
  if (rf.type === "text") return { type: "text" };
  if (rf.type === "json_object") return { type: "json" };
  if (rf.type === "json_schema") {
    const js = asObject(rf.json_schema, "response_format.json_schema");
    const out: ResponseFormat = {
      type: "json_schema",
      schema: optObject(js, "schema", "response_format.json_schema") ?? {},
    };
    const name = optString(js, "name", "response_format.json_schema");
    if (name !== undefined) out.name = name;
    const strict = optBool(js, "strict", "response_format.json_schema");
    if (strict !== undefined) out.strict = strict;
    return out;
  }
  return bad(
    "response_format.type",
    `expected "text", "json_object" or "json_schema", got ${JSON.stringify(rf.type)}`,
  );
}
