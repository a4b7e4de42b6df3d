import type { MediaPart, RouterError, Usage } from "../ir";
import type { Codec, UpstreamModel } from "./codec";
import type { KeyPath } from "./json/string-rewriter";
import type { Json } from "./read";
import type { SseEditRule } from "./sse/data-rewriter";
import type { StreamEndRule } from "./stream-end";

/**
 * Everything the router knows about one wire format, in one object: each `src/wire/<id>/index.ts`
 * exports one, and `src/wire/index.ts` lists them. Nothing outside `src/wire/` names a format or
 * holds a table of one's facts: it asks the client's format (how to read the request, how to answer, how to fail) and the
 * upstream's format (where to send, how to convert, when its stream is whole).
 */
export interface Format {
  readonly id: string;
  /** `api_base` for a model of this type that names none. */
  readonly defaultApiBase: string;

  // The client's side.
  /** The model calls this format's clients POST, by path. */
  readonly routes: InboundRoutes;
  /**
   * What marks a request as coming from this format's clients: decides the shape of a model
   * listing on a path several formats share, and of the error for a path nobody serves. A path
   * prefix is asked of every format before any header (a `/v1beta/` path is Gemini's whatever
   * key header it carries); the fallback format needs none.
   */
  readonly clientMarks: { pathPrefixes: readonly string[]; headers: readonly string[] };
  /**
   * Where this format's clients put their key, besides `Authorization: Bearer` (HTTP's own,
   * which every client may use): the router token is accepted there.
   */
  readonly clientKeys: { headers: readonly string[]; query: readonly string[] };
  /** Checks the fields routing needs and finds the group and stream flag; never throws. */
  peekRequest(body: Json, op: Operation): Peek | RouterError;
  listModels(groups: readonly GroupInfo[], url: URL): unknown;
  getModel(group: GroupInfo): unknown;
  encodeError(err: RouterError): Response;
  errorBody(err: RouterError): unknown;
  /** The format's in-stream error event, for a stream that fails after it started. */
  streamError(err: RouterError): string;
  /**
   * What an SSE stream sends this format's clients when it has been silent a while (a model
   * thinking), so their stream watchdogs do not abort it: an event they ignore, or an SSE comment.
   * Only SSE streams get one; a format's own framing (Gemini's streamed JSON array) gets none.
   */
  readonly streamKeepAlive?: string;

  // The upstream's side.
  upstreamTarget(model: UpstreamModel, call: InboundCall): UpstreamTarget;
  /** Where a response names its model, so passthrough can make it name the group instead. */
  readonly responseModel: ResponseModelEdit;
  /** Response headers about the router's own upstream account (organisation ids): never passed on. */
  readonly accountHeaders: readonly string[];
  /** When the format's stream is whole (stream-end.ts): passthrough and conversion both judge by it. */
  readonly streamEnd: StreamEndRule;
  /** Where its answers state their token usage, for passthrough, which decodes nothing else. */
  readonly usage: UsageReading;
  /** Media this format's upstreams cannot fetch by URL themselves: the router inlines it first. */
  mustInline(part: MediaPart): boolean;
  /** Token counting, for formats with a count endpoint (others get the router's estimate). */
  readonly countTokens?: TokenCounting;
  /**
   * Where this format's clients name their conversation in the body (a cache key, a session or
   * user id), most specific first; undefined when they name none. Never throws.
   */
  sessionField?(body: Json): BodySessionKey | undefined;
  /**
   * What every turn of one conversation repeats unchanged, for a session key when the client
   * names none: its system prompt and first user turn, as parts of the parsed body (nothing is
   * copied or serialised). Never throws.
   */
  conversationStart?(body: Json): ConversationStart;
  /** Adjusts a `--check` probe the upstream refused, when the refusal names a known variant. */
  retryProbe?(body: Json, status: number, message: string): Json | undefined;

  /** Request, response, stream and error conversion, both directions. */
  readonly codec: Codec;
}

/** What the client asked for, known after routing and a first look at the body. */
export type Operation = "generate" | "countTokens";

/** A model call a path stands for; what the path does not say, the body does (`peekRequest`). */
export interface CallRoute {
  op: Operation;
  group?: string;
  stream?: boolean;
  /** The client asked for SSE rather than the format's own stream framing. */
  sse?: boolean;
}

export interface InboundRoutes {
  /**
   * The call a request to `path` (no trailing slash) is: undefined when the path is not this
   * format's, "unknown" when it is this format's but names nothing it serves (a 404).
   */
  match(path: string, url: URL): CallRoute | "unknown" | undefined;
  /** The model listing (no id) or lookup this format's clients ask for at `path`. */
  models(path: string): ModelsRoute | "unknown" | undefined;
}

/** A model listing, or one model when `id` is given (a group name). */
export interface ModelsRoute {
  id?: string;
}

/** The request's own model call, after routing, for the upstream's format to target. */
export interface InboundCall {
  /** The client's format (also when the call is converted for another upstream). */
  format: string;
  op: Operation;
  /** The model group the client named. */
  group: string;
  /** The client wants a streamed answer. */
  stream: boolean;
  /** The stream is SSE; false for a format's own framing (Gemini's streamed JSON array). */
  sse: boolean;
  body: Json;
  /** The body exactly as received, so passthrough can forward it with minimal edits. */
  raw: Uint8Array;
  headers: Headers;
}

/** What a model listing needs of a group. */
export interface GroupInfo {
  name: string;
}

/** Routing facts a format's request body yields; the body itself is not converted. */
export interface Peek {
  group?: string;
  stream: boolean;
}

export interface UpstreamTarget {
  url: string;
  headers: Headers;
  /** Where the upstream model id goes in the request body; undefined when it travels in the URL. */
  bodyModelPath?: KeyPath;
  /** The value written there, when it is not the bare model id (Gemini: `models/{id}`). */
  bodyModel?: string;
}

/** Where a response names its model, so passthrough can make it name the group instead. */
export interface ResponseModelEdit {
  json: KeyPath;
  sse: SseEditRule;
  /** A format's own streamed JSON array (Gemini without `alt=sse`). */
  jsonArray?: KeyPath;
}

/**
 * How passthrough reads an answer's token usage off bytes it forwards unchanged: with the
 * format's own decodeUsage, as its response and stream decoders do, so both paths report the
 * same numbers for the same upstream bytes. Only stream frames that name one of `keys` with an
 * object value are parsed (relay/usage-keys.ts).
 */
export interface UsageReading {
  /** A whole answer's usage, from its parsed body: what decodeResponse reports. */
  answer(body: unknown): Usage;
  /** The JSON keys under which a stream frame can carry usage (an object value). */
  readonly keys: readonly string[];
  /**
   * The stream's usage after one parsed frame (an SSE data line's JSON, or an element of a
   * streamed JSON array) that holds one of `keys`; `was` is the usage so far.
   */
  frame(json: unknown, was: Usage | undefined): Usage | undefined;
  /** For a format whose streams carry usage only when the request asks for it. */
  readonly ask?: UsageAsk;
}

/** How a request asks a format's stream for its usage, and what only that ask adds to the stream. */
export interface UsageAsk {
  /** The client's request asks already. */
  asked(body: Json): boolean;
  /** A merge patch (RFC 7396) that makes a request ask. */
  readonly patch: Json;
  /** A parsed frame that is in the stream only because of the ask: a client that did not ask never sees it. */
  extra(json: unknown): boolean;
}

/** A format's token-count endpoint, from both sides. */
export interface TokenCounting {
  /** The generation request inside a client's count request. */
  request(body: Json): Json;
  /** The answer a client of this format expects. */
  answer(tokens: number): unknown;
  /** The upstream's count request, from the request as encoded for generation. */
  upstreamBody(encoded: Json, model: UpstreamModel): Json;
  /** The count in the upstream's answer; undefined when it has none. */
  upstreamCount(answer: unknown): number | undefined;
}

/** A conversation's name as a client's body gives it. */
export interface BodySessionKey {
  /** Where it was found, dotted: `prompt_cache_key`, `metadata.user_id`. */
  field: string;
  value: string;
}

/**
 * The start of a conversation, as `conversationStart` finds it: each list holds strings (a text
 * block's text, however the turn spells it) and other blocks as they are, a bounded number of
 * them; empty when the request has none.
 */
export interface ConversationStart {
  system: readonly unknown[];
  firstUser: readonly unknown[];
}
