import type { Extensions, Message, TextPart } from "./content";

export interface ToolDef {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  schema: Record<string, unknown>;
  strict?: boolean;
  /**
   * A freeform tool (Responses `custom`, e.g. Codex's apply_patch): its calls carry one free text,
   * held as `args.input`; `format` is the grammar the client declared, if any. Formats without
   * such tools declare a function taking that one string, `input`.
   */
  freeform?: { format?: Record<string, unknown> };
  ext?: Extensions;
}

export type ToolChoice =
  { type: "auto" } | { type: "none" } | { type: "required" } | { type: "tool"; name: string };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json" }
  | { type: "json_schema"; name?: string; schema: Record<string, unknown>; strict?: boolean };

export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh";

export interface ReasoningConfig {
  /** false turns reasoning off where the target can. */
  enabled?: boolean;
  effort?: ReasoningEffort;
  /** Token budget (Anthropic budget_tokens, Gemini thinkingBudget; -1 = dynamic). */
  budget?: number;
  /** Return reasoning text to the client (Gemini includeThoughts). */
  include?: boolean;
}

export interface IRRequest {
  /** The group the client named. */
  model: string;
  /** Top-level system prompt (Anthropic `system`, Gemini `systemInstruction`, leading OpenAI system messages). */
  system: TextPart[];
  messages: Message[];
  tools: ToolDef[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  /** How long the answer should be: OpenAI's `verbosity` (Chat) and `text.verbosity` (Responses). */
  verbosity?: "low" | "medium" | "high";
  /** The client's key for prompt caching (Responses and Chat `prompt_cache_key`): one conversation's. */
  promptCacheKey?: string;
  n?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: ResponseFormat;
  reasoning?: ReasoningConfig;
  stream: boolean;
  /** OpenAI clients must ask for usage in streams (`stream_options.include_usage`). */
  streamUsage?: boolean;
  /** Fields only the source format understands, kept for a same-format encoder and for warnings. */
  ext?: Extensions;
}
