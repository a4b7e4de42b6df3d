// Public contract of the mock upstreams plus the small internal protocol between the generic
// server (server.ts) and the provider modules.
import type { PromptCache } from "./anthropic/prompt-cache.ts";

export type MockKind = "openai" | "anthropic" | "gemini" | "responses";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  rawBody: string;
  body: any;
  rejected?: { status: number; message: string };
  aborted: boolean;
}

/**
 * One tool call. `args` is a function call's JSON arguments; `input` is the free text of a call to
 * a freeform tool (Responses `custom`, Codex's `apply_patch`). Where the request declared the tool
 * as a function, `input` becomes `{ <its one string parameter>: input }`; where the Responses mock
 * saw it declared `custom`, the call comes back as `custom_tool_call` with `input` (or, given only
 * `args`, the sole string value of `args`). So one script works against every mock kind.
 */
export interface ReplyToolCall {
  id?: string;
  name: string;
  args?: Record<string, unknown>;
  input?: string;
}

/**
 * What the model "says" next. Defaults keep round trips assertable: without `text` and
 * `toolCalls` the text is `echo: ` + the text of the last user turn (its text parts
 * concatenated; tool results count as text, and for OpenAI a trailing run of `tool` messages
 * is that turn). Usage defaults to word counts: input = all system/message text, output =
 * reply text + thinking text.
 */
export interface Reply {
  text?: string;
  /** Anthropic thinking block / Gemini thought part / OpenAI-compat reasoning_content / Responses
   * reasoning item (its summary, sent only when the request sets `reasoning.summary`, as the
   * service does). The signature (given or issued by the mock; Responses: encrypted_content, only
   * with `include: ["reasoning.encrypted_content"]`) is what later requests must replay.
   * `content` is raw reasoning text, which only the Responses mock sends (as `reasoning_text`). */
  thinking?: { text: string; signature?: string; content?: string };
  toolCalls?: ReplyToolCall[];
  /** raw finish reason in the provider's vocabulary. Responses: `max_output_tokens` or
   * `content_filter` make an incomplete answer with that reason (the other mocks' words for a
   * cut, `length` / `max_tokens` / `MAX_TOKENS` / `SAFETY`, are understood too). */
  finish?: string;
  /** `output` includes reasoning; Gemini reports candidatesTokenCount = output - thoughts.
   * `cached` (part of `input`) is reported by the Responses mock only. */
  usage?: { input: number; output: number; cached?: number };
  chunks?: number;
}

/**
 * A scripted model: sees each accepted generation request (already recorded) and decides the
 * reply itself; `undefined` falls through to the reply queue, so scripts and queued replies mix.
 */
export type Responder = (req: RecordedRequest) => Reply | undefined;

/**
 * Consumed by the next request, whatever it is. status/reset/hang/garbage leave the reply
 * queue alone (a retry gets the reply); the stream-cutting kinds answer with the next reply.
 * `afterChunks` counts events and is capped before the end marker (finish chunk + [DONE],
 * message_delta + message_stop, the finishReason chunk). On non-stream requests stall and
 * truncate cut the JSON body in half, and midstream-error becomes the provider's overloaded
 * status (500 / 529 / 503).
 */
export type Fault =
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: "reset" }
  | { kind: "hang" }
  | { kind: "stall"; afterChunks: number }
  /** `code`: the Responses mock's `response.failed` error code (default `server_error`). */
  | { kind: "midstream-error"; afterChunks: number; code?: string }
  | { kind: "truncate"; afterChunks: number }
  | { kind: "garbage" }
  /** A healthy stream whose events come `gapMs` apart. */
  | { kind: "slow"; gapMs: number };

export interface MockUpstream {
  kind: MockKind;
  url: string;
  apiBase: string;
  apiKey: string;
  requests: RecordedRequest[];
  reply(r: Reply): void;
  /** Installs (or with `undefined` removes) the responder consulted before the reply queue; reset() removes it. */
  respond(fn: Responder | undefined): void;
  fault(f: Fault): void;
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Present when started with `promptCache` (Anthropic only): this deployment's cache. */
  promptCache?: PromptCache;
  /** Clears the record, queued replies, faults, the responder and the prompt cache. */
  reset(): void;
  stop(): Promise<void>;
}

export interface MockOptions {
  apiKey?: string;
  modelSuffix?: string;
  /**
   * Anthropic only: the instance caches prompts as one deployment does (see
   * anthropic/prompt-cache.ts) and reports it in usage; otherwise usage never shows a cache.
   */
  promptCache?: boolean;
}

// ---- internal: provider <-> server ----------------------------------------------------------

/** How the client asked to be answered; decides the shape of garbage and error bodies. */
export type Streaming = "sse" | "array" | false;

export interface JsonAnswer {
  kind: "json";
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * A stream is kept as separate events so faults can cut it at any event boundary.
 * `open`/`sep`/`close` exist for Gemini's JSON-array mode, where the framing lives between
 * events rather than inside them.
 */
export interface StreamAnswer {
  kind: "stream";
  headers: Record<string, string>;
  events: string[];
  /** trailing events that mark a clean end (finish/stop/[DONE]); truncation never sends them */
  terminal: number;
  /** A function when the error event depends on where the stream was cut (sequence numbers). */
  errorEvent: string | ((sent: number, fault: Fault) => string);
  open?: string;
  sep?: string;
  close?: string;
}

export type Answer = JsonAnswer | StreamAnswer;

export interface Handled {
  streaming: Streaming;
  /** set together with an error `answer` when auth or validation refused the request */
  rejected?: { status: number; message: string };
  answer?: Answer;
  /** present for accepted generation requests: builds the answer from the next queued reply */
  generate?: (reply: Reply) => Answer;
}

export interface Ctx {
  method: string;
  url: URL;
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  body: any;
}

export interface Provider {
  apiBase(url: string): string;
  handle(ctx: Ctx): Handled;
  /** the provider's own error body for a status fault (or for midstream-error on non-stream calls) */
  errorFor(status: number, streaming: Streaming, body?: unknown): JsonAnswer;
  garbage(streaming: Streaming): JsonAnswer;
  /** status used when a midstream-error fault hits a non-stream request */
  overloadedStatus: number;
}
