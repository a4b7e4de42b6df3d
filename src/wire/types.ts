import type { ApiType, GroupConfig, ModelConfig } from "../config/types";
import type { RouterError } from "../ir/error";
import type { KeyPath } from "./json/string-rewriter";
import type { SseEditRule } from "./sse/data-rewriter";
import type { RequestMedia } from "../upstream/media/request-media";
import type { StreamEndRule } from "./stream-end";

/** What the client asked for, known after routing and a first look at the body. */
export type Operation = "generate" | "countTokens";

export interface InboundCall {
  /** The client's format (also when the call is converted for another upstream). */
  format: ApiType;
  op: Operation;
  /** The model group the client named. */
  group: string;
  /** The client wants a streamed answer. */
  stream: boolean;
  /** Gemini only: the stream is SSE (`?alt=sse`) rather than one streamed JSON array. */
  sse: boolean;
  body: Record<string, unknown>;
  /** The body exactly as received, so passthrough can forward it with minimal edits. */
  raw: Uint8Array;
  headers: Headers;
  /** The request's remote media downloads, shared by its failover attempts; made on first need when absent. */
  media?: RequestMedia;
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
  /** Gemini's streamed JSON array (no `alt=sse`). */
  jsonArray?: KeyPath;
}

/** The members every wire format folder exports from its index.ts, under the same names. */
export interface WireFormat {
  readonly name: ApiType;
  encodeError(err: RouterError): Response;
  /** The format's in-stream error event (SSE), for a stream that fails after it started. */
  streamError(err: RouterError): string;
  errorBody(err: RouterError): unknown;
  /** Checks the fields routing needs and finds the group and stream flag; never throws. */
  peekRequest(body: Record<string, unknown>, op: Operation): Peek | RouterError;
  upstreamTarget(model: ModelConfig, call: InboundCall): UpstreamTarget;
  readonly responseModel: ResponseModelEdit;
  /** When the format's stream is whole (stream-end.ts): passthrough and conversion both judge by it. */
  readonly streamEnd: StreamEndRule;
  listModels(groups: GroupConfig[], url: URL): unknown;
  getModel(group: GroupConfig): unknown;
}
