import type { IRRequest, ReasoningConfig, ReasoningEffort } from "../../ir";
import type { EncodeRequestContext } from "../codec";
import { own } from "../lookup";
import type * as Gemini from "./api";
import { SchemaBudget, schemaOf } from "./schema-budget";
import { encodeSchema } from "./schema-encode";

/** IR sampling, output-format and reasoning settings → Gemini `generationConfig`. */

const MAX_STOP_SEQUENCES = 5;
/** Settings that mean the same on both sides, under the same name. */
const COPIED = [
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
] as const;
/**
 * Effort → thinkingBudget. low/medium/high are Google's own mapping (GEM-OAI); minimal is 512,
 * the smallest budget every 2.5 model accepts (Flash-Lite's floor); xhigh has no larger budget
 * that all models accept, so it shares high's.
 */
const EFFORT_BUDGET: Record<Exclude<ReasoningEffort, "none">, number> = {
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 24576,
};
/** Pro models cannot switch thinking off; 128 is their smallest budget. */
const PRO_MIN_BUDGET = 128;

export function encodeGenerationConfig(
  req: IRRequest,
  ctx: EncodeRequestContext,
  schemas = new SchemaBudget(),
): Gemini.GenerationConfig {
  const g: Gemini.GenerationConfig = {};
  if (req.maxTokens !== undefined) {
    const limit = ctx.target.maxOutputTokens;
    if (limit !== undefined && req.maxTokens > limit) {
      ctx.warnings.add("clamped", "max_tokens", `${req.maxTokens} → ${limit}`);
      g.maxOutputTokens = limit;
    } else g.maxOutputTokens = req.maxTokens;
  }
  for (const k of COPIED) if (req[k] !== undefined) g[k] = req[k];
  if (req.stop?.length) {
    if (req.stop.length > MAX_STOP_SEQUENCES)
      ctx.warnings.add(
        "clamped",
        "stop",
        `Gemini takes at most ${MAX_STOP_SEQUENCES} stop sequences`,
      );
    g.stopSequences = req.stop.slice(0, MAX_STOP_SEQUENCES);
  }
  if (req.n !== undefined) {
    g.candidateCount = req.n;
    if (req.n > 1)
      ctx.warnings.add(
        "approximated",
        "n",
        req.stream
          ? "streaming carries only the first candidate"
          : "only the first candidate is returned",
      );
  }
  const format = req.responseFormat;
  if (format?.type === "json") g.responseMimeType = "application/json";
  else if (format?.type === "json_schema") {
    g.responseMimeType = "application/json";
    g.responseSchema = schemaOf("the response schema", () => encodeSchema(format.schema, schemas));
  }
  const thinking = req.reasoning && thinkingConfig(req.reasoning, ctx);
  if (thinking) g.thinkingConfig = thinking;
  return g;
}

/** Budget, effort or on/off → one thinkingBudget: Gemini refuses a budget and a level together. */
function thinkingConfig(
  r: ReasoningConfig,
  ctx: EncodeRequestContext,
): Gemini.ThinkingConfig | undefined {
  const t: Gemini.ThinkingConfig = {};
  const off = r.enabled === false || r.effort === "none";
  if (off) {
    if (/-pro\b/i.test(ctx.target.model)) {
      ctx.warnings.add(
        "approximated",
        "reasoning",
        `${ctx.target.model} cannot turn thinking off; smallest budget used`,
      );
      t.thinkingBudget = PRO_MIN_BUDGET;
    } else t.thinkingBudget = 0;
  } else if (r.budget !== undefined) t.thinkingBudget = r.budget;
  else if (r.effort && r.effort !== "none") {
    if (r.effort === "xhigh")
      ctx.warnings.add("approximated", "reasoning.effort", "xhigh sent as the high budget");
    t.thinkingBudget = own(EFFORT_BUDGET, r.effort) ?? EFFORT_BUDGET.medium;
  } else if (r.enabled) t.thinkingBudget = -1;
  // Thoughts are asked for whenever thinking is on, so the client can be shown them.
  if (r.include !== undefined) t.includeThoughts = r.include;
  else if (!off && (r.enabled || r.budget !== undefined || r.effort)) t.includeThoughts = true;
  return Object.keys(t).length ? t : undefined;
}
