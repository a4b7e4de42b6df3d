import type { IRRequest, IRResponse, RouterError, StreamEvent, Warnings } from "../ir";
import type { NameMap, NameRule } from "./names";

/**
 * The conversion half of a wire format: the same members in every format folder, named by
 * direction (decode = wire → IR, encode = IR → wire). Codecs are pure and synchronous; anything
 * needing I/O (downloading an image for Gemini) happens before encoding, in attempt/convert.ts.
 */

/** The facts about an upstream model a format needs; the config's model satisfies it. */
export interface UpstreamModel {
  /** The upstream's own model id. */
  model: string;
  /** No trailing slash. */
  apiBase: string;
  /** Empty when there is none: no auth header is sent. */
  apiKey: string;
  /** max_tokens to send when the client gave none and the format requires one. */
  defaultMaxTokens?: number;
  /** Upper bound for the max_tokens sent. */
  maxOutputTokens?: number;
  /** Whether a client's own beta headers may travel to this upstream (unset: yes). */
  forwardBetas?: boolean;
}

/** Per-request state shared by the codecs of one conversion. */
export interface CodecContext {
  /** The group the client asked for: encoders put it wherever a response names its model. */
  group: string;
  warnings: Warnings;
  /** Tool names as the upstream must see them ↔ as the client wrote them. */
  toolNames: NameMap;
  /** Tool-call ids as the upstream must see them ↔ as the client wrote them. */
  toolIds: NameMap;
  /** Random source for synthesised ids (injected so tests are exact). */
  random: () => number;
  /**
   * Tools the client declared in a shape other than a plain function, by the name the IR gives
   * them: a Responses namespace's functions (flattened, the IR name differs from the client's)
   * and freeform tools (their calls are text). The client format's decoder fills it, its
   * response and stream encoders read it to give each call back its original shape.
   */
  clientTools: Map<string, ClientTool>;
}

/** How the client declared a tool the IR holds as a plain function. */
export interface ClientTool {
  /** The name within its namespace (or the name, without one). */
  name: string;
  namespace?: string;
  /** Calls carry free text (`args.input` in the IR). */
  freeform?: boolean;
}

export interface EncodeRequestContext extends CodecContext {
  /** The upstream model: its id and per-model settings (e.g. the default max_tokens). */
  target: UpstreamModel;
}

/** One unit of an upstream stream: an SSE event, or one element of Gemini's streamed JSON array. */
export interface StreamFrame {
  event?: string;
  data: string;
}

/**
 * Where a stream stands after what was read so far: still going, finished but waiting for its
 * close (Gemini after its finishReason), or over (its end event, or an error).
 */
export type Phase = "open" | "closing" | "over";

export interface StreamDecoder {
  /** Never throws: malformed frames become an `error` event. */
  push(frame: StreamFrame): StreamEvent[];
  /** The upstream closed. A stream that never reached its end marker yields an `error` event. */
  end(): StreamEvent[];
  /**
   * "over" once the format's end event (or an error) was decoded: nothing after it is decoded;
   * "closing" when the answer is finished but only the upstream's close confirms it (Gemini after
   * its finishReason). Lets the answer's last bytes and the response's end leave together.
   */
  phase?(): Phase;
}

export interface StreamEncoder {
  /** Wire text to send for this event ("" when nothing is due yet). */
  push(event: StreamEvent): string;
  /** Text to send when the stream is over (e.g. OpenAI's usage chunk and `[DONE]`). */
  end(): string;
  /**
   * Text held back so far (Gemini keeps the last part to put it in the final chunk). Called
   * before an error, which must go out in a write of its own.
   */
  flush?(): string;
}

export interface StreamEncoderOptions {
  /** Gemini clients streaming without `alt=sse` get one JSON array instead of SSE. */
  jsonArray?: boolean;
  /**
   * The most answer text an encoder may hold (max_response_size, counted in characters): one
   * whose format repeats the whole answer at its end (Responses) fails the stream past it, so an
   * endless upstream cannot grow the router's memory without bound.
   */
  heldLimit?: number;
}

export interface Codec {
  decodeRequest(body: Record<string, unknown>, ctx: CodecContext): IRRequest | RouterError;
  encodeRequest(req: IRRequest, ctx: EncodeRequestContext): Record<string, unknown> | RouterError;
  decodeResponse(body: unknown, ctx: CodecContext): IRResponse | RouterError;
  encodeResponse(res: IRResponse, ctx: CodecContext): unknown;
  createStreamDecoder(ctx: CodecContext): StreamDecoder;
  createStreamEncoder(
    ctx: CodecContext,
    req: IRRequest,
    opts?: StreamEncoderOptions,
  ): StreamEncoder;
  /** An upstream HTTP error body (any shape, maybe not JSON) → the neutral error, status mapped. */
  decodeError(status: number, body: string, headers: Headers): RouterError;
  /** Tool-name and tool-id rules of this format, for building the NameMaps when it is the target. */
  readonly toolNameRule: NameRule;
  readonly toolIdRule: NameRule;
}
