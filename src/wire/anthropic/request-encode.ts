import {
  routerError,
  type IRRequest,
  type ReasoningConfig,
  type RouterError,
  type Warnings,
} from "../../ir";
import type { EncodeRequestContext } from "../codec";
import { own } from "../lookup";
import { guard, isObject, reject, type Json } from "../read";
import type { MessagesRequest, TextBlockParam } from "./api";
import { encodeText } from "./blocks-encode";
import { encodeTool, encodeToolChoice } from "./tools-encode";
import { encodeTurns, type Turn } from "./turns-encode";

/** IR → an Anthropic Messages request body (upstream side), per protocols.md §2.18. */

/**
 * max_tokens when neither the client nor the model config gives one. Anthropic requires the
 * field; 4096 is the output ceiling of the oldest Claude models still served, so every model
 * accepts it. Configure `default_max_tokens` per model for more.
 */
const FALLBACK_MAX_TOKENS = 4096;
const MIN_BUDGET = 1024;
/** Google's effort ↔ budget table (GEM-OAI), extended by one step for xhigh. */
const EFFORT_BUDGET = {
  minimal: 1024,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
} as const;
const JSON_ONLY = "Respond with a single valid JSON value only: no prose, no Markdown code fences.";

export function encodeRequest(
  req: IRRequest,
  ctx: EncodeRequestContext,
): MessagesRequest | RouterError {
  return guard(() => encode(req, ctx), { codec: "anthropic" });
}

function encode(req: IRRequest, ctx: EncodeRequestContext): MessagesRequest {
  const w = ctx.warnings;
  if (req.n !== undefined && req.n > 1)
    reject(
      routerError(
        "invalid_request",
        "n > 1 is not supported by Anthropic upstreams: they return one answer per request",
      ),
    );
  const limit = ctx.target.maxOutputTokens;
  let maxTokens = req.maxTokens ?? ctx.target.defaultMaxTokens ?? FALLBACK_MAX_TOKENS;
  if (limit !== undefined && maxTokens > limit) {
    w.add("clamped", "max_tokens", `${maxTokens} → ${limit}, the model's output limit`);
    maxTokens = limit;
  }

  // Thinking and history must agree (pitfalls 59–61): either the replayed tool turn carries its
  // Anthropic thinking block, or no thinking block goes out and thinking is off.
  let budget = thinkingBudget(req.reasoning, w);
  let attempt = encodeTurns(req.messages, ctx, budget !== undefined);
  if (budget !== undefined && !replayable(attempt.turns)) {
    w.add(
      "dropped",
      "thinking",
      "the tool-use turn being answered has no Anthropic thinking block to replay, so thinking is off for this request",
    );
    budget = undefined;
    attempt = encodeTurns(req.messages, ctx, false);
  }
  if (budget !== undefined) {
    const fit = fitBudget(maxTokens, budget, limit, w);
    if (fit) [maxTokens, budget] = fit;
    else {
      w.add(
        "dropped",
        "thinking",
        `max_tokens limit ${limit} leaves no room for the minimum thinking budget`,
      );
      budget = undefined;
      attempt = encodeTurns(req.messages, ctx, false);
    }
  }
  w.addAll(attempt.warnings);

  const system = systemBlocks(req, w);
  const out: MessagesRequest = {
    model: ctx.target.model,
    max_tokens: maxTokens,
    ...(system.length ? { system } : {}),
    messages: attempt.turns.map((t) => ({ role: t.role, content: t.blocks })),
  };
  if (req.tools.length) out.tools = req.tools.map((t) => encodeTool(t, ctx, w));
  const choice = encodeToolChoice(req, budget !== undefined, ctx, w);
  if (choice) out.tool_choice = choice;
  if (budget !== undefined) out.thinking = { type: "enabled", budget_tokens: budget };
  sampling(req, out, budget !== undefined, w);
  if (req.user !== undefined) out.metadata = { user_id: req.user };
  if (req.responseFormat?.type === "json_schema")
    out.output_config = { format: { type: "json_schema", schema: req.responseFormat.schema } };
  dropped(req, w);
  capCacheHints(out, w);
  out.stream = req.stream;
  return out;
}

/** Anthropic allows four cache breakpoints; the last ones cover the longest prefix, so they stay. */
const MAX_CACHE_HINTS = 4;

function capCacheHints(out: MessagesRequest, w: Warnings): void {
  const blocks = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
  const hinted: Json[] = [];
  const visit = (b: Json) => {
    if (b.cache_control !== undefined) hinted.push(b);
    for (const inner of blocks(b.content)) visit(inner);
  };
  [...blocks(out.tools), ...blocks(out.system)].forEach(visit);
  for (const m of blocks(out.messages)) blocks(m.content).forEach(visit);
  const extra = hinted.length - MAX_CACHE_HINTS;
  if (extra <= 0) return;
  for (const b of hinted.slice(0, extra)) delete b.cache_control;
  w.add(
    "dropped",
    "cache_control",
    `${extra} of ${hinted.length} cache breakpoints removed; Anthropic allows ${MAX_CACHE_HINTS}`,
  );
}

/** undefined = thinking off. */
function thinkingBudget(r: ReasoningConfig | undefined, w: Warnings): number | undefined {
  if (!r || r.enabled === false || r.effort === "none" || r.budget === 0) return undefined;
  if (r.budget !== undefined && r.budget > 0) {
    if (r.budget >= MIN_BUDGET) return r.budget;
    w.add(
      "clamped",
      "reasoning.budget",
      `${r.budget} → ${MIN_BUDGET}, Anthropic's minimum budget_tokens`,
    );
    return MIN_BUDGET;
  }
  if (r.effort) return own(EFFORT_BUDGET, r.effort) ?? EFFORT_BUDGET.medium;
  // "On, model decides" (a dynamic Gemini budget, an effort-less switch): adaptive thinking would
  // say that, but older Claude models reject it, while a fixed budget works on all of them.
  if (r.enabled || (r.budget !== undefined && r.budget < 0)) {
    w.add(
      "approximated",
      "reasoning",
      `no budget or effort given; thinking sent with budget_tokens ${EFFORT_BUDGET.medium}`,
    );
    return EFFORT_BUDGET.medium;
  }
  return undefined;
}

/** With thinking on, the assistant turn whose tool calls are being answered must open with thinking. */
function replayable(turns: Turn[]): boolean {
  const last = turns.at(-1);
  if (last?.role !== "user" || !last.blocks.some((b) => b.type === "tool_result")) return true;
  const first = turns.at(-2)?.blocks[0];
  return !first || first.type === "thinking" || first.type === "redacted_thinking";
}

/** max_tokens must exceed budget_tokens; raise it by the budget (the answer keeps its room), within the limit. */
function fitBudget(
  maxTokens: number,
  budget: number,
  limit: number | undefined,
  w: Warnings,
): [number, number] | undefined {
  if (maxTokens > budget) return [maxTokens, budget];
  const raised = limit !== undefined ? Math.min(limit, maxTokens + budget) : maxTokens + budget;
  if (raised > budget) {
    w.add(
      "approximated",
      "max_tokens",
      `raised to ${raised} so that it exceeds the thinking budget of ${budget}`,
    );
    return [raised, budget];
  }
  const half = Math.floor(raised / 2);
  if (half < MIN_BUDGET) return undefined;
  w.add(
    "clamped",
    "reasoning.budget",
    `${budget} → ${half} to fit the model's output limit ${raised}`,
  );
  return [raised, half];
}

function systemBlocks(req: IRRequest, w: Warnings): TextBlockParam[] {
  const parts = [...req.system];
  let inside = false;
  let moved = 0;
  for (const m of req.messages) {
    if (m.role !== "system") inside = true;
    else {
      if (inside) moved++;
      parts.push(...m.parts);
    }
  }
  if (moved)
    w.add(
      "approximated",
      "messages.system",
      `${moved} system message(s) from inside the conversation moved to the system prompt; their position is lost`,
    );
  const blocks = parts.flatMap((p) => encodeText(p.text, p.ext));
  if (req.responseFormat?.type === "json") {
    w.add(
      "approximated",
      "response_format",
      "JSON mode has no Anthropic switch; a system instruction asks for JSON only",
    );
    blocks.push({ type: "text", text: JSON_ONLY });
  }
  return blocks;
}

function sampling(req: IRRequest, out: MessagesRequest, thinking: boolean, w: Warnings): void {
  if (thinking) {
    const set: [string, unknown][] = [
      ["temperature", req.temperature],
      ["top_p", req.topP],
      ["top_k", req.topK],
    ];
    for (const [k, v] of set)
      if (v !== undefined)
        w.add("dropped", k, "not allowed while Anthropic extended thinking is on");
  } else {
    if (req.temperature !== undefined) {
      const t = Math.min(1, Math.max(0, req.temperature));
      if (t !== req.temperature)
        w.add("clamped", "temperature", `${req.temperature} → ${t}, Anthropic's range is 0–1`);
      out.temperature = t;
    }
    if (req.topP !== undefined) {
      if (out.temperature !== undefined)
        w.add(
          "dropped",
          "top_p",
          "newer Claude models reject temperature and top_p together; temperature kept",
        );
      else out.top_p = req.topP;
    }
    if (req.topK !== undefined) out.top_k = req.topK;
  }
  if (req.stop?.length) {
    const kept = req.stop.filter((s) => /\S/.test(s));
    if (kept.length < req.stop.length)
      w.add("dropped", "stop", "Anthropic rejects whitespace-only stop sequences");
    if (kept.length) out.stop_sequences = kept;
  }
}

/** Request fields with no Anthropic counterpart, reported rather than silently lost. */
function dropped(req: IRRequest, w: Warnings): void {
  const none: [string, unknown][] = [
    ["seed", req.seed],
    ["presence_penalty", req.presencePenalty],
    ["frequency_penalty", req.frequencyPenalty],
    // Anthropic caches at cache_control breakpoints, not by a client's key.
    ["prompt_cache_key", req.promptCacheKey],
    ["verbosity", req.verbosity],
  ];
  for (const [k, v] of none) if (v !== undefined) w.add("dropped", k, "no Anthropic counterpart");
  for (const [format, fields] of Object.entries(req.ext ?? {})) {
    for (const k of Object.keys(fields ?? {})) {
      // Beta fields need their anthropic-beta header, which is not forwarded when converting.
      w.add(
        "dropped",
        k,
        format === "anthropic"
          ? "Anthropic beta field, not forwarded on conversion"
          : `${format}-only field`,
      );
    }
  }
}
