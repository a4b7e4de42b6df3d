/**
 * The Messages API's wire shapes (https://docs.claude.com/en/api/messages), as far as the router
 * reads or writes them. Types only: the encoders build these objects, so a misspelled field does
 * not compile; the decoders read untrusted JSON with ../read.ts and never assume them.
 * `type` aliases rather than interfaces, so they stay assignable to `Record<string, unknown>`.
 */

/** Prompt-caching breakpoint; relayed as the client wrote it. */
export type CacheControl = { type: "ephemeral"; ttl?: "5m" | "1h" };

// Request content blocks.

export type TextBlockParam = {
  type: "text";
  text: string;
  cache_control?: CacheControl;
  citations?: unknown[];
};

export type ImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

export type ImageBlockParam = { type: "image"; source: ImageSource; cache_control?: CacheControl };

export type DocumentSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "text"; media_type: "text/plain"; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string }
  | { type: "content"; content: string | (TextBlockParam | ImageBlockParam)[] };

export type DocumentBlockParam = {
  type: "document";
  source: DocumentSource;
  title?: string;
  context?: string;
  citations?: { enabled?: boolean };
  cache_control?: CacheControl;
};

export type ToolUseBlockParam = {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: CacheControl;
};

export type ToolResultContentBlock = TextBlockParam | ImageBlockParam | DocumentBlockParam;

export type ToolResultBlockParam = {
  type: "tool_result";
  tool_use_id: string;
  content?: string | ToolResultContentBlock[];
  is_error?: boolean;
  cache_control?: CacheControl;
};

export type ThinkingBlockParam = { type: "thinking"; thinking: string; signature: string };

export type RedactedThinkingBlockParam = { type: "redacted_thinking"; data: string };

export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam
  | ThinkingBlockParam
  | RedactedThinkingBlockParam;

export type MessageParam = {
  role: "user" | "assistant";
  content: string | ContentBlockParam[];
};

// The rest of the request.

/** A JSON Schema whose root is an object schema, as tools' input_schema must be. */
export type InputSchema = { type: "object"; [keyword: string]: unknown };

export type ToolParam = {
  name: string;
  description?: string;
  input_schema: InputSchema;
  strict?: boolean;
  /** Absent or "custom" for client tools; server tools (web_search_20250305, …) name themselves. */
  type?: string;
  cache_control?: CacheControl;
};

export type ToolChoiceParam =
  | { type: "auto" | "any" | "none"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean };

export type ThinkingConfigParam =
  | { type: "enabled"; budget_tokens: number; display?: "summarized" | "omitted" }
  | { type: "adaptive"; display?: "summarized" | "omitted" }
  | { type: "disabled" };

export type OutputConfig = {
  effort?: "low" | "medium" | "high" | "xhigh" | "max";
  format?: { type: "json_schema"; schema: Record<string, unknown> };
};

/** POST /v1/messages. */
export type MessagesRequest = {
  model: string;
  max_tokens: number;
  system?: string | TextBlockParam[];
  messages: MessageParam[];
  tools?: ToolParam[];
  tool_choice?: ToolChoiceParam;
  thinking?: ThinkingConfigParam;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id?: string };
  output_config?: OutputConfig;
  stream?: boolean;
};

// The response.

export type StopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

export type MessageUsage = {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens: number } | null;
};

export type TextBlock = { type: "text"; text: string; citations?: unknown[] | null };

export type ThinkingBlock = { type: "thinking"; thinking: string; signature: string };

export type RedactedThinkingBlock = { type: "redacted_thinking"; data: string };

export type ToolUseBlock = { type: "tool_use"; id: string; name: string; input: unknown };

/** Answer blocks; server tools' blocks (server_tool_use, *_tool_result) are not converted. */
export type ContentBlock = TextBlock | ThinkingBlock | RedactedThinkingBlock | ToolUseBlock;

/** The answer to a non-streaming request, and the `message` of `message_start`. */
export type MessageResponse = {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessageUsage;
};

// Streaming (https://docs.claude.com/en/docs/build-with-claude/streaming): the SSE event name
// repeats each event's `type`.

export type TextDelta = { type: "text_delta"; text: string };
export type ThinkingDelta = { type: "thinking_delta"; thinking: string };
export type SignatureDelta = { type: "signature_delta"; signature: string };
export type InputJsonDelta = { type: "input_json_delta"; partial_json: string };
export type CitationsDelta = { type: "citations_delta"; citation: unknown };

export type ContentBlockDelta =
  TextDelta | ThinkingDelta | SignatureDelta | InputJsonDelta | CitationsDelta;

/** message_delta's usage: cumulative counts, of which only output_tokens is always given. */
export type MessageDeltaUsage = Partial<MessageUsage> & { output_tokens: number };

export type MessageStartEvent = { type: "message_start"; message: MessageResponse };
export type ContentBlockStartEvent = {
  type: "content_block_start";
  index: number;
  content_block: ContentBlock;
};
export type ContentBlockDeltaEvent = {
  type: "content_block_delta";
  index: number;
  delta: ContentBlockDelta;
};
export type ContentBlockStopEvent = { type: "content_block_stop"; index: number };
export type MessageDeltaEvent = {
  type: "message_delta";
  delta: { stop_reason: StopReason | null; stop_sequence: string | null };
  usage: MessageDeltaUsage;
};
export type MessageStopEvent = { type: "message_stop" };
export type PingEvent = { type: "ping" };

export type MessageStreamEvent =
  | MessageStartEvent
  | ContentBlockStartEvent
  | ContentBlockDeltaEvent
  | ContentBlockStopEvent
  | MessageDeltaEvent
  | MessageStopEvent
  | PingEvent
  | ErrorResponse;

// Errors (https://docs.claude.com/en/api/errors): an HTTP error body, and the `error` event.

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

// ---- Model listing: GET /v1/models, GET /v1/models/{model_id}

export type ModelInfo = { type: "model"; id: string; display_name: string; created_at: string };

export type ModelList = {
  data: ModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
};

export type ErrorResponse = {
  type: "error";
  error: { type: ErrorType; message: string };
  request_id?: string | null;
};
