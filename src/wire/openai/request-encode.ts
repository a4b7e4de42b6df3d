import { routerError, type RouterError } from "../../ir/error";
import type { IRRequest, ResponseFormat, ToolChoice, ToolDef } from "../../ir/request";
import type { EncodeRequestContext } from "../codec";
import { guard, reject, type Json } from "../read";
import type {
  ChatCompletionRequest,
  ChatReasoningEffort,
  ChatResponseFormat,
  ChatTool,
  ChatToolChoice,
} from "./api";
import { mentionsJson, schemaName } from "./json-mode";
import { encodeMessages, type EncodeEnv } from "./messages-encode";

const MAX_STOP = 4;

/** IR → a Chat Completions body for an OpenAI or OpenAI-compatible upstream. */
export function encodeRequest(req: IRRequest, ctx: EncodeRequestContext): Json | RouterError {
  return guard(() => encodeBody(req, ctx), { codec: "openai" });
}

function encodeBody(req: IRRequest, ctx: EncodeRequestContext): Json {
  const host = hostOf(ctx.target.apiBase);
  const env: EncodeEnv = { ctx, googleHost: host.endsWith(".googleapis.com") };
  if (req.n !== undefined && req.n > 1)
    reject(
      routerError(
        "invalid_request",
        "n > 1 cannot be converted: the router returns a single choice",
      ),
    );
  const body: ChatCompletionRequest = {
    model: ctx.target.model,
    messages: encodeMessages(req.system, req.messages, env),
  };
  if (req.tools.length) {
    body.tools = req.tools.map((t) => encodeTool(t, env));
    if (req.toolChoice) body.tool_choice = encodeToolChoice(req.toolChoice, ctx);
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  const max = maxTokens(req, ctx);
  // o-series and gpt-5 reject max_tokens, also as Azure deployments (whose v1 API takes the new
  // name for every model, on both of an Azure OpenAI resource's host names); most compat servers
  // only read max_tokens.
  const newName = host === "api.openai.com" || AZURE_OPENAI_HOST.test(host);
  if (max !== undefined) body[newName ? "max_completion_tokens" : "max_tokens"] = max;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) ctx.warnings.add("dropped", "top_k", "OpenAI has no top_k");
  if (req.stop?.length) {
    if (req.stop.length > MAX_STOP)
      ctx.warnings.add(
        "clamped",
        "stop",
        `kept the first ${MAX_STOP} of ${req.stop.length} stop sequences`,
      );
    body.stop = req.stop.slice(0, MAX_STOP);
  }
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.user !== undefined) body.user = req.user;
  openaiOnly(req, body, host === "api.openai.com", ctx);
  if (req.n !== undefined) body.n = req.n;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  if (req.responseFormat)
    body.response_format = encodeResponseFormat(req.responseFormat, body, env, mentionsJson(req));
  const effort = encodeReasoningEffort(req, env);
  if (effort) body.reasoning_effort = effort;
  body.stream = req.stream;
  // Always asked for: usage is reported to every client, whatever format it speaks.
  if (req.stream) body.stream_options = { include_usage: true };

  for (const source of ["anthropic", "gemini", "responses"] as const) {
    for (const key of Object.keys(req.ext?.[source] ?? {}))
      ctx.warnings.add("dropped", `${source}.${key}`, "no OpenAI equivalent");
  }
  // The client's own OpenAI fields without an IR slot ride along, after the typed ones.
  const out: Json = body;
  for (const [key, value] of Object.entries(req.ext?.openai ?? {}))
    if (!(key in out)) out[key] = value;
  return out;
}

/**
 * Fields only OpenAI's own API takes: compat servers that validate their input refuse unknown
 * fields, so elsewhere they are dropped and reported.
 */
function openaiOnly(
  req: IRRequest,
  body: ChatCompletionRequest,
  openai: boolean,
  ctx: EncodeRequestContext,
): void {
  const { verbosity } = req;
  if (openai) {
    if (req.promptCacheKey !== undefined) body.prompt_cache_key = req.promptCacheKey;
    if (verbosity) body.verbosity = verbosity;
    return;
  }
  const why = "only OpenAI's own API takes it";
  if (req.promptCacheKey !== undefined) ctx.warnings.add("dropped", "prompt_cache_key", why);
  if (verbosity) ctx.warnings.add("dropped", "verbosity", why);
}

const AZURE_OPENAI_HOST = /\.(openai|cognitiveservices)\.azure\.com$/;

function hostOf(apiBase: string): string {
  try {
    return new URL(apiBase).hostname;
  } catch {
    return "";
  }
}

function encodeTool(t: ToolDef, env: EncodeEnv): ChatTool {
  if (t.ext?.anthropic)
    env.ctx.warnings.once(
      "dropped",
      "cache_control",
      "OpenAI caches prompts automatically; breakpoints were dropped",
    );
  const fn: ChatTool["function"] = { name: env.ctx.toolNames.toWire(t.name) };
  if (t.description !== undefined) fn.description = t.description;
  fn.parameters = t.schema;
  // Only the client's own choice: strict mode needs a schema shaped for it.
  if (t.strict !== undefined) fn.strict = t.strict;
  return { type: "function", function: fn };
}

function encodeToolChoice(tc: ToolChoice, ctx: EncodeRequestContext): ChatToolChoice {
  return tc.type === "tool"
    ? { type: "function", function: { name: ctx.toolNames.toWire(tc.name) } }
    : tc.type;
}

function maxTokens(req: IRRequest, ctx: EncodeRequestContext): number | undefined {
  const max = req.maxTokens;
  const limit = ctx.target.maxOutputTokens;
  if (max === undefined || limit === undefined || max <= limit) return max;
  ctx.warnings.add("clamped", "max_tokens", `${max} → ${limit} (the model's configured limit)`);
  return limit;
}

function encodeResponseFormat(
  rf: ResponseFormat,
  body: ChatCompletionRequest,
  env: EncodeEnv,
  saysJson: boolean,
): ChatResponseFormat {
  if (rf.type === "text") return { type: "text" };
  if (rf.type === "json") {
    if (!saysJson) addJsonLine(body, env);
    return { type: "json_object" };
  }
  return {
    type: "json_schema",
    json_schema: {
      name: schemaName(rf.name),
      schema: rf.schema,
      ...(rf.strict !== undefined ? { strict: rf.strict } : {}),
    },
  };
}

/** OpenAI rejects json_object mode unless a message mentions JSON; other formats have no such rule. */
function addJsonLine(body: ChatCompletionRequest, env: EncodeEnv): void {
  const { messages } = body;
  const line = "Respond with a JSON object.";
  const first = messages[0];
  if (first?.role === "system" && typeof first.content === "string")
    first.content = `${first.content}\n\n${line}`;
  else messages.unshift({ role: "system", content: line });
  env.ctx.warnings.once(
    "approximated",
    "response_format",
    "added a system line mentioning JSON, which OpenAI's json_object mode requires",
  );
}

function encodeReasoningEffort(req: IRRequest, env: EncodeEnv): ChatReasoningEffort | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.enabled === false || (r.budget === 0 && r.effort === undefined)) {
    env.ctx.warnings.once(
      "dropped",
      "reasoning.enabled",
      "OpenAI has no portable way to turn reasoning off; the model's default applies",
    );
    return undefined;
  }
  if (r.effort) return r.effort;
  // Google's mapping, reversed (protocols.md §2.8); -1 means "dynamic", i.e. the model's default.
  if (r.budget === undefined || r.budget < 0) return undefined;
  return r.budget <= 2048 ? "low" : r.budget <= 12288 ? "medium" : "high";
}
