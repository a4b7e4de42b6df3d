import { createHash } from "node:crypto";
import { routerError, type RouterError } from "../../ir/error";
import type {
  IRRequest,
  ReasoningConfig,
  ResponseFormat,
  ToolChoice,
  ToolDef,
} from "../../ir/request";
import type { Warnings } from "../../ir/warning";
import type { EncodeRequestContext } from "../codec";
import { guard, reject, type Json } from "../read";
import type {
  CustomTool,
  ResponsesRequest,
  ResponsesTool,
  ResponsesToolChoice,
  TextFormat,
} from "./api";
import { mentionsJson, schemaName } from "../openai/json-mode";
import { encodeInput, warnCacheHints } from "./input-encode";

/**
 * IR → a Responses body for an `api_type: responses` upstream. The API rejects parameters it does
 * not know, so only its own are written; what it lacks (top_k, seed, penalties, stop) is reported.
 * The router is stateless, so nothing is stored (`store: false`), and OpenAI's encrypted reasoning
 * is asked for when the request turns reasoning on or replays earlier reasoning, so that the next
 * turn can replay it (as Codex asks; a model that reasons unasked returns none).
 */
export function encodeRequest(req: IRRequest, ctx: EncodeRequestContext): Json | RouterError {
  return guard(() => encodeBody(req, ctx), { codec: "responses" });
}

/** The API refuses a smaller `max_output_tokens`. */
const MIN_OUTPUT_TOKENS = 16;
/** `safety_identifier`'s length limit. */
const MAX_SAFETY_ID = 64;

function encodeBody(req: IRRequest, ctx: EncodeRequestContext): ResponsesRequest {
  const w = ctx.warnings;
  if (req.n !== undefined && req.n > 1)
    reject(
      routerError(
        "invalid_request",
        "n > 1 cannot be converted: the Responses API returns one answer per request",
      ),
    );
  const { input, replaysReasoning } = encodeInput(req, ctx);
  const body: ResponsesRequest = { model: ctx.target.model, input };
  warnCacheHints(req.system, ctx);
  const instructions = req.system.map((p) => p.text).join("\n\n");
  if (instructions !== "") body.instructions = instructions;
  if (req.tools.length) {
    body.tools = req.tools.map((t) => encodeTool(t, ctx));
    if (req.toolChoice) body.tool_choice = encodeToolChoice(req.toolChoice, req.tools, ctx);
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  const max = maxOutputTokens(req.maxTokens, ctx);
  if (max !== undefined) body.max_output_tokens = max;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  const reasoning = encodeReasoning(req.reasoning, w);
  if (reasoning) body.reasoning = reasoning;
  const format = req.responseFormat && encodeTextFormat(req, req.responseFormat, body, w);
  // A Responses client's own setting, kept by its decoder for this encoder.
  const { verbosity } = req;
  if (format || verbosity)
    body.text = {
      ...(format ? { format } : {}),
      ...(verbosity ? { verbosity } : {}),
    };
  // Stateless: OpenAI would otherwise keep every converted conversation.
  body.store = false;
  if (replaysReasoning || reasoningOn(req.reasoning))
    body.include = ["reasoning.encrypted_content"];
  if (req.promptCacheKey !== undefined) body.prompt_cache_key = req.promptCacheKey;
  if (req.user !== undefined) body.safety_identifier = safetyIdentifier(req.user, w);
  body.stream = req.stream;
  dropped(req, w);
  return body;
}

function encodeTool(t: ToolDef, ctx: EncodeRequestContext): ResponsesTool {
  warnCacheHints([t], ctx);
  const name = ctx.toolNames.toWire(t.name);
  const description = t.description !== undefined ? { description: t.description } : {};
  if (t.freeform) {
    const format = t.freeform.format as CustomTool["format"];
    return { type: "custom", name, ...description, ...(format ? { format } : {}) };
  }
  // Responses makes a function strict unless told otherwise, which rewrites optional
  // parameters into required ones: only the client's own choice makes it strict.
  return {
    type: "function",
    name,
    ...description,
    parameters: t.schema,
    strict: t.strict ?? false,
  };
}

function encodeToolChoice(
  tc: ToolChoice,
  tools: ToolDef[],
  ctx: EncodeRequestContext,
): ResponsesToolChoice {
  if (tc.type !== "tool") return tc.type;
  const name = ctx.toolNames.toWire(tc.name);
  const freeform = tools.some((t) => t.name === tc.name && t.freeform);
  return { type: freeform ? "custom" : "function", name };
}

function maxOutputTokens(max: number | undefined, ctx: EncodeRequestContext): number | undefined {
  if (max === undefined) return undefined;
  const limit = ctx.target.maxOutputTokens;
  if (limit !== undefined && max > limit) {
    ctx.warnings.add(
      "clamped",
      "max_output_tokens",
      `${max} → ${limit} (the model's configured limit)`,
    );
    max = limit;
  }
  if (max < MIN_OUTPUT_TOKENS) {
    ctx.warnings.add(
      "clamped",
      "max_output_tokens",
      `${max} → ${MIN_OUTPUT_TOKENS}, the Responses API's minimum`,
    );
    max = MIN_OUTPUT_TOKENS;
  }
  return max;
}

const reasoningOff = (r: ReasoningConfig) =>
  r.enabled === false || r.effort === "none" || (r.budget === 0 && r.effort === undefined);

const reasoningOn = (r: ReasoningConfig | undefined) => r !== undefined && !reasoningOff(r);

function encodeReasoning(
  r: ReasoningConfig | undefined,
  w: Warnings,
): ResponsesRequest["reasoning"] | undefined {
  if (!r) return undefined;
  // Reasoning text comes back unless the client turned it off, as from the other upstreams
  // (Anthropic sends thinking whenever it is on; Gemini is asked for its thoughts).
  const summary = r.include !== false;
  if (r.effort)
    return r.effort !== "none" && summary
      ? { effort: r.effort, summary: "auto" }
      : { effort: r.effort };
  if (reasoningOff(r)) {
    w.add(
      "dropped",
      "reasoning.enabled",
      "the Responses API has no portable way to turn reasoning off; the model's default applies",
    );
    return undefined;
  }
  const out: NonNullable<ResponsesRequest["reasoning"]> = {};
  // Google's effort ↔ budget table, as for Chat; -1 (dynamic) is the model's default effort.
  if (r.budget !== undefined && r.budget > 0) {
    out.effort = r.budget <= 2048 ? "low" : r.budget <= 12288 ? "medium" : "high";
    w.add("approximated", "reasoning.budget", `${r.budget} tokens → effort ${out.effort}`);
  }
  if (summary) out.summary = "auto";
  return Object.keys(out).length ? out : undefined;
}

function encodeTextFormat(
  req: IRRequest,
  rf: ResponseFormat,
  body: ResponsesRequest,
  w: Warnings,
): TextFormat {
  if (rf.type === "text") return { type: "text" };
  if (rf.type === "json") {
    if (!mentionsJson(req)) addJsonLine(body, w);
    return { type: "json_object" };
  }
  return {
    type: "json_schema",
    name: schemaName(rf.name),
    schema: rf.schema,
    ...(rf.strict !== undefined ? { strict: rf.strict } : {}),
  };
}

/** json_object mode is refused unless the input mentions JSON; other formats have no such rule. */
function addJsonLine(body: ResponsesRequest, w: Warnings): void {
  const line = "Respond with a JSON object.";
  body.instructions = body.instructions ? `${body.instructions}\n\n${line}` : line;
  w.once(
    "approximated",
    "response_format",
    "added an instruction mentioning JSON, which the Responses API's json_object mode requires",
  );
}

/** The end user's id, within the API's limit: a longer one (Claude Code's) is sent hashed. */
function safetyIdentifier(user: string, w: Warnings): string {
  if (user.length <= MAX_SAFETY_ID) return user;
  w.add(
    "approximated",
    "user",
    `longer than ${MAX_SAFETY_ID} characters; sent as its SHA-256 in safety_identifier`,
  );
  return createHash("sha256").update(user).digest("hex");
}

/** Request fields with no Responses counterpart, reported rather than silently lost. */
function dropped(req: IRRequest, w: Warnings): void {
  const none: [string, unknown][] = [
    ["top_k", req.topK],
    ["seed", req.seed],
    ["presence_penalty", req.presencePenalty],
    ["frequency_penalty", req.frequencyPenalty],
  ];
  for (const [k, v] of none)
    if (v !== undefined) w.add("dropped", k, "no Responses API counterpart");
  if (req.stop?.length) w.add("dropped", "stop", "the Responses API has no stop sequences");
  for (const [source, extra] of Object.entries(req.ext ?? {})) {
    if (!extra) continue;
    for (const k of Object.keys(extra))
      w.add("dropped", `${source}.${k}`, "no Responses API equivalent");
  }
}
