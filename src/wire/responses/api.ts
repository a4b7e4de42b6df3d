/**
 * The OpenAI Responses API's payloads (`POST /v1/responses`), as its reference and the openai-node
 * SDK's types document them: the fields the router reads or writes. Encoders build these, so a
 * misspelt field does not compile; decoders read untrusted JSON with ../read.ts instead.
 *
 * Types only, as `type` aliases so every payload stays assignable to `Record<string, unknown>`.
 * Items Codex sends that only OpenAI can run (web_search_call, local_shell_call, compaction …)
 * are not modelled: the router drops them for other upstreams and forwards them untouched to a
 * Responses upstream (passthrough never re-serialises).
 */

// Request

export type ResponsesRequest = {
  model: string;
  input?: string | InputItem[];
  instructions?: string;
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning?: { effort?: ResponsesReasoningEffort; summary?: "auto" | "concise" | "detailed" };
  text?: { format?: TextFormat; verbosity?: "low" | "medium" | "high" };
  stream?: boolean;
  store?: boolean;
  include?: string[];
  metadata?: Record<string, string>;
  /** Replaces `user` for cache routing: kept so conversations stay on one deployment. */
  prompt_cache_key?: string;
  safety_identifier?: string;
  user?: string;
  previous_response_id?: string;
  truncation?: "auto" | "disabled";
  service_tier?: string;
  top_logprobs?: number;
};

export type ResponsesReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh";

export type TextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      name: string;
      schema: Record<string, unknown>;
      description?: string;
      strict?: boolean;
    };

export type InputItem =
  | MessageItem
  | FunctionCallItem
  | FunctionCallOutputItem
  | CustomToolCallItem
  | CustomToolCallOutputItem
  | ReasoningItem;

export type MessageItem = {
  type?: "message";
  id?: string;
  role: "user" | "assistant" | "system" | "developer";
  content: string | ContentPart[];
  status?: ItemStatus;
  /** Codex marks its own assistant messages as commentary or final_answer. */
  phase?: string;
};

export type ContentPart = InputText | InputImage | InputFile | OutputText | Refusal;

export type InputText = { type: "input_text"; text: string };
export type InputImage = {
  type: "input_image";
  /** A URL or a `data:` URL. */
  image_url?: string;
  file_id?: string;
  detail?: "low" | "high" | "auto";
};
export type InputFile = {
  type: "input_file";
  file_data?: string;
  file_id?: string;
  file_url?: string;
  filename?: string;
};
export type OutputText = {
  type: "output_text";
  text: string;
  annotations: unknown[];
  /** Always sent (empty unless the request asked for them). */
  logprobs?: unknown[];
};
export type Refusal = { type: "refusal"; refusal: string };

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export type FunctionCallItem = {
  type: "function_call";
  id?: string;
  call_id: string;
  name: string;
  /** Codex 0.154+: the namespace tool the function belongs to. */
  namespace?: string;
  /** A JSON string. */
  arguments: string;
  status?: ItemStatus;
};

export type FunctionCallOutputItem = {
  type: "function_call_output";
  id?: string;
  call_id: string;
  output: string | (InputText | InputImage | InputFile)[];
  status?: ItemStatus;
};

export type CustomToolCallItem = {
  type: "custom_tool_call";
  id?: string;
  call_id: string;
  name: string;
  /** Free text (a patch, a query), not JSON. */
  input: string;
  status?: ItemStatus;
};

export type CustomToolCallOutputItem = {
  type: "custom_tool_call_output";
  id?: string;
  call_id: string;
  output: string | (InputText | InputImage | InputFile)[];
};

export type ReasoningItem = {
  type: "reasoning";
  id?: string;
  summary: { type: "summary_text"; text: string }[];
  content?: { type: "reasoning_text"; text: string }[];
  /** Opaque; valid only for the deployment that issued it. */
  encrypted_content?: string | null;
  status?: ItemStatus;
};

export type ResponsesTool =
  | FunctionTool
  | CustomTool
  | NamespaceTool
  /** Built-in tools only OpenAI runs (web_search, local_shell, image_generation, tool_search …). */
  | { type: string; [key: string]: unknown };

export type FunctionTool = {
  type: "function";
  name: string;
  description?: string;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
};

/** A freeform tool: its calls carry text, optionally constrained by a grammar (Lark, regex). */
export type CustomTool = {
  type: "custom";
  name: string;
  description?: string;
  format?: { type: "text" } | { type: "grammar"; syntax: string; definition: string };
};

export type NamespaceTool = {
  type: "namespace";
  name: string;
  description?: string;
  tools: (FunctionTool | CustomTool)[];
};

export type ResponsesToolChoice =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; name: string }
  | { type: "custom"; name: string }
  | { type: string; [key: string]: unknown };

// Response

export type ResponseStatus = "completed" | "incomplete" | "failed" | "in_progress" | "queued";

export type ResponseObject = {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  model: string;
  output: OutputItem[];
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  error: { code: string; message: string } | null;
  usage?: ResponsesUsage;
  [echo: string]: unknown;
};

export type OutputItem =
  | {
      type: "message";
      id: string;
      role: "assistant";
      status: ItemStatus;
      content: (OutputText | Refusal)[];
    }
  | (FunctionCallItem & { id: string; status: ItemStatus })
  | (CustomToolCallItem & { id: string })
  | (ReasoningItem & { id: string });

export type ResponsesUsage = {
  /** Includes cached tokens (cache reads and writes). */
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  /** Includes reasoning tokens. */
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
};

/** `POST /v1/responses/input_tokens`. */
export type InputTokensAnswer = { object: "response.input_tokens"; input_tokens: number };
