/**
 * The Chat Completions API's payloads, as its reference documents them: the fields the router
 * reads or writes, optional where the API makes them optional. Encoders build these, so a
 * misspelt field does not compile; decoders read untrusted JSON with ../read.ts instead.
 *
 * Types only (no runtime cost), and `type` aliases rather than interfaces so that every payload
 * stays assignable to `Record<string, unknown>`. Fields marked "compat" are not OpenAI's own but
 * conventions of OpenAI-compatible servers the router speaks to (protocols.md §2.8).
 */

// Request

export type ChatCompletionRequest = {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  /** Deprecated by OpenAI, and the only limit most compat servers read. */
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  /** compat: vLLM and other open-model servers. */
  top_k?: number;
  stop?: string | string[];
  seed?: number;
  user?: string;
  /** OpenAI's own API: keeps one conversation's requests on one prompt cache. */
  prompt_cache_key?: string;
  /** OpenAI's own API (gpt-5): how long answers are. */
  verbosity?: "low" | "medium" | "high";
  n?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: ChatResponseFormat;
  reasoning_effort?: ChatReasoningEffort;
  stream?: boolean;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean };
  /** Deprecated forms of `tools` and `tool_choice`. */
  functions?: FunctionDefinition[];
  function_call?: "none" | "auto" | { name: string };
};

export type ChatReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

export type ChatResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: {
        name: string;
        description?: string;
        schema?: Record<string, unknown>;
        strict?: boolean;
      };
    };

export type FunctionDefinition = {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
};

export type ChatTool = { type: "function"; function: FunctionDefinition };

export type ChatToolChoice =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; function: { name: string } }
  | {
      type: "allowed_tools";
      allowed_tools: { mode: "auto" | "required"; tools: Record<string, unknown>[] };
    };

// Messages

export type ChatMessage =
  SystemMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage;

export type SystemMessage = {
  role: "system" | "developer";
  content: string | TextContentPart[];
  name?: string;
};

export type UserMessage = { role: "user"; content: string | UserContentPart[]; name?: string };

export type AssistantMessage = {
  role: "assistant";
  content?: string | (TextContentPart | RefusalContentPart)[] | null;
  refusal?: string | null;
  name?: string;
  tool_calls?: ToolCall[];
  /** Deprecated form of `tool_calls`. */
  function_call?: { name: string; arguments: string } | null;
  /** compat: DeepSeek, vLLM and others; `reasoning` in newer vLLM. */
  reasoning_content?: string;
  reasoning?: string;
  /** compat: LiteLLM's Anthropic thinking blocks, signatures included. */
  thinking_blocks?: ThinkingBlock[];
  /** compat: Google's endpoint may put the batch's signature here instead of on a call. */
  extra_content?: ExtraContent;
};

export type ToolMessage = {
  role: "tool";
  content: string | TextContentPart[];
  tool_call_id: string;
};

/** Deprecated form of a tool message: answers a `function_call` by name. */
export type FunctionMessage = { role: "function"; content: string | null; name: string };

export type TextContentPart = { type: "text"; text: string };

export type RefusalContentPart = { type: "refusal"; refusal: string };

export type ImageContentPart = {
  type: "image_url";
  /** `detail` is documented as auto, low, high or original; the router relays the client's. */
  image_url: { url: string; detail?: string };
};

export type AudioContentPart = {
  type: "input_audio";
  input_audio: { data: string; format: "wav" | "mp3" };
};

export type FileContentPart = {
  type: "file";
  /** `file_data` is a data URL. */
  file: { file_data?: string; file_id?: string; filename?: string };
};

export type UserContentPart =
  TextContentPart | ImageContentPart | AudioContentPart | FileContentPart;

export type ToolCall = {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** compat: Google's endpoint carries Gemini thought signatures here. */
  extra_content?: ExtraContent;
};

export type ExtraContent = { google?: { thought_signature?: string } };

export type ThinkingBlock =
  | { type: "thinking"; thinking: string; signature?: string }
  | { type: "redacted_thinking"; data: string };

// Response

export type ChatFinishReason =
  "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export type ChatCompletion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: ResponseMessage;
    logprobs: Record<string, unknown> | null;
    finish_reason: ChatFinishReason;
  }[];
  usage?: CompletionUsage;
  system_fingerprint?: string;
};

export type ResponseMessage = {
  role: "assistant";
  content: string | null;
  refusal: string | null;
  tool_calls?: ToolCall[];
  function_call?: { name: string; arguments: string };
  /** compat, as on AssistantMessage. */
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
};

export type CompletionUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number };
  /** compat: DeepSeek's count of cache hits. */
  prompt_cache_hit_tokens?: number;
};

// Stream

/** One `data:` frame of a stream; `data: [DONE]` ends it. */
export type ChatCompletionChunk = {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChunkChoice[];
  /** null on every chunk but the last when the client asked for usage. */
  usage?: CompletionUsage | null;
  system_fingerprint?: string;
  /** Random padding that hides the size of each delta. */
  obfuscation?: string;
};

export type ChunkChoice = {
  index: number;
  delta: ChunkDelta;
  logprobs?: Record<string, unknown> | null;
  finish_reason: ChatFinishReason | null;
};

export type ChunkDelta = {
  role?: "assistant";
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  /** compat, as on AssistantMessage. */
  reasoning_content?: string;
  reasoning?: string;
  thinking_blocks?: ThinkingBlock[];
};

/** The first delta of a call carries its id and name; later ones only argument text. */
export type ToolCallDelta = {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
  extra_content?: ExtraContent;
};

// Errors and models

export type ErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};

export type Model = { id: string; object: "model"; created: number; owned_by: string };

export type ModelList = { object: "list"; data: Model[] };
