/**
 * The Gemini API's wire types (Generative Language API v1beta, REST), as its reference documents
 * them: the fields the router reads or writes, at least. Types only: nothing here exists at run
 * time. Encoders build these, so a misspelled field does not compile; decoders read untrusted
 * bodies with ../read.ts and proto-json.ts (which also accept the snake_case spelling) instead.
 *
 * Type aliases, not interfaces, so that every one is assignable to `Record<string, unknown>`.
 */

// ---- Request: POST models/{model}:generateContent | :streamGenerateContent | :countTokens

export type GenerateContentRequest = {
  /** Only inside countTokens' `generateContentRequest` (`models/{id}`); else the URL names it. */
  model?: string;
  contents: Content[];
  systemInstruction?: Content;
  tools?: Tool[];
  toolConfig?: ToolConfig;
  generationConfig?: GenerationConfig;
  safetySettings?: SafetySetting[];
  /** A cached content's name, `cachedContents/{id}`. */
  cachedContent?: string;
};

export type CountTokensRequest = {
  contents?: Content[];
  generateContentRequest?: GenerateContentRequest;
};

export type Content = {
  /** "user" or "model" ("function" in older clients' function-response turns). */
  role?: string;
  parts?: Part[];
};

/** One member of `data` (text, inlineData, fileData, functionCall, …) plus thought markers. */
export type Part = {
  text?: string;
  inlineData?: Blob;
  fileData?: FileData;
  functionCall?: FunctionCall;
  functionResponse?: FunctionResponse;
  executableCode?: { language?: string; code?: string };
  codeExecutionResult?: { outcome?: string; output?: string };
  /** The part is a thought summary, not answer text. */
  thought?: boolean;
  /** Opaque, base64: must come back on the same part in the next request. */
  thoughtSignature?: string;
};

export type Blob = { mimeType: string; data: string };

export type FileData = { mimeType?: string; fileUri: string; displayName?: string };

/** Vertex's chunks that continue a streamed call lack the name; only decoders see those. */
export type FunctionCall = {
  id?: string;
  name: string;
  args?: Record<string, unknown>;
  /** Vertex: arguments streamed in pieces, the call continued by the next chunks. */
  partialArgs?: PartialArg[];
  willContinue?: boolean;
};

export type PartialArg = {
  /** RFC 9535 path of the value inside `args`, e.g. `$.a.b[0]`. */
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: "NULL_VALUE";
  willContinue?: boolean;
};

export type FunctionResponse = {
  id?: string;
  name: string;
  /** Must be a JSON object; `{output}` / `{error}` by convention. */
  response: Record<string, unknown>;
  /** Media the function returned (Gemini 3 multimodal function responses). */
  parts?: Pick<Part, "inlineData" | "fileData">[];
};

export type Tool = {
  functionDeclarations?: FunctionDeclaration[];
  googleSearch?: Record<string, unknown>;
  codeExecution?: Record<string, unknown>;
  urlContext?: Record<string, unknown>;
};

export type FunctionDeclaration = {
  name: string;
  description?: string;
  /** The OpenAPI subset below; or `parametersJsonSchema`, plain JSON Schema. */
  parameters?: Schema;
  parametersJsonSchema?: unknown;
};

export type ToolConfig = {
  functionCallingConfig?: {
    mode?: "MODE_UNSPECIFIED" | "AUTO" | "ANY" | "NONE" | "VALIDATED";
    allowedFunctionNames?: string[];
  };
};

export type GenerationConfig = {
  stopSequences?: string[];
  responseMimeType?: string;
  responseSchema?: Schema;
  responseJsonSchema?: unknown;
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  thinkingConfig?: ThinkingConfig;
};

export type ThinkingConfig = {
  includeThoughts?: boolean;
  /** Tokens; 0 turns thinking off, -1 lets the model decide. */
  thinkingBudget?: number;
  thinkingLevel?: "THINKING_LEVEL_UNSPECIFIED" | "MINIMAL" | "LOW" | "MEDIUM" | "HIGH";
};

export type SafetySetting = { category: string; threshold: string };

/** The OpenAPI 3.0 subset Gemini takes for `parameters` and `responseSchema`. */
export type Schema = {
  type?: string;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  properties?: Record<string, Schema>;
  required?: string[];
  propertyOrdering?: string[];
  items?: Schema;
  anyOf?: Schema[];
  /** int64: JSON numbers, or numeric strings as proto-JSON writes them. */
  minItems?: number | string;
  maxItems?: number | string;
  minLength?: number | string;
  maxLength?: number | string;
  minProperties?: number | string;
  maxProperties?: number | string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
};

// ---- Response: the body of generateContent, and each chunk of streamGenerateContent

export type GenerateContentResponse = {
  candidates?: Candidate[];
  /** Only when the prompt itself was blocked: then there is no candidate. */
  promptFeedback?: { blockReason?: string; safetyRatings?: unknown[] };
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
};

/**
 * One element of the stream: an SSE `data:` payload (`alt=sse`), or one element of the JSON
 * array streamed without it. Each is a whole response whose parts are deltas; the last carries
 * the finishReason. There is no end event. An error mid-stream is an ErrorBody instead.
 */
export type StreamChunk = GenerateContentResponse;

export type Candidate = {
  content?: Content;
  finishReason?: FinishReason;
  finishMessage?: string;
  index?: number;
  safetyRatings?: unknown[];
};

export type FinishReason =
  | "FINISH_REASON_UNSPECIFIED"
  | "STOP"
  | "MAX_TOKENS"
  | "SAFETY"
  | "RECITATION"
  | "LANGUAGE"
  | "OTHER"
  | "BLOCKLIST"
  | "PROHIBITED_CONTENT"
  | "SPII"
  | "MALFORMED_FUNCTION_CALL"
  | "IMAGE_SAFETY"
  | "IMAGE_PROHIBITED_CONTENT"
  | "IMAGE_RECITATION"
  | "IMAGE_OTHER"
  | "UNEXPECTED_TOOL_CALL"
  | "TOO_MANY_TOOL_CALLS"
  | "NO_IMAGE"
  | "MISSING_THOUGHT_SIGNATURE";

/** Counts may arrive as numeric strings from some proto-JSON encoders (int32 here, but still). */
export type UsageMetadata = {
  /** The whole prompt, cached tokens included. */
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  /** The answer, thoughts excluded. */
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
};

export type CountTokensResponse = { totalTokens: number; cachedContentTokenCount?: number };

// ---- Errors: the body of a non-2xx answer, and an error inside a 200 stream

export type ErrorBody = { error: Status };

/** google.rpc.Status. */
export type Status = {
  /** The HTTP status. */
  code: number;
  message: string;
  /** The google.rpc.Code name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, … */
  status: string;
  /** Typed details (`@type`): ErrorInfo (`reason`), RetryInfo (`retryDelay`), … */
  details?: Record<string, unknown>[];
};

// ---- Model listing: GET models, GET models/{model}

export type Model = {
  /** `models/{id}`. */
  name: string;
  version?: string;
  displayName?: string;
  description?: string;
  inputTokenLimit?: number;
  outputTokenLimit?: number;
  supportedGenerationMethods?: string[];
};

export type ListModelsResponse = { models: Model[]; nextPageToken?: string };
