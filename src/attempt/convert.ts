import { isRouterError, routerError, type IRRequest, type StreamEvent, type Usage } from "../ir";
import { CodecTranscoder } from "../relay/codec-transcoder";
import type { KeepAliveRule } from "../relay/keep-alive";
import { pump, type StreamEnd } from "../relay/pump";
import { responseHeaders } from "../upstream/headers";
import { RequestMedia } from "../upstream/media/request-media";
import { mergePatch } from "../upstream/merge-patch";
import { readCappedText, tooLarge } from "../upstream/read-capped";
import { ACCOUNT_HEADERS, codecContext, FORMATS, type Format } from "../wire";
import type { CodecContext, StreamDecoder } from "../wire/codec";
import { jsonResponse } from "../wire/respond";
import { maskedOutcome, maskingErrors } from "./mask-errors";
import { failed, waitAsked, type Attempt, type AttemptOutcome } from "./outcome";
import { reportWarnings } from "./warnings";
import type { Deadlines } from "../upstream/deadlines";
import { callModel, readAnswer } from "./call-model";

/**
 * Client and upstream speak different formats: decode the request into the neutral form,
 * encode it for the upstream, and convert the answer (body, stream or error) back.
 */
export async function convert(a: Attempt): Promise<AttemptOutcome> {
  // A failure's message may carry upstream text (a provider quoting the key it was sent): masked
  // here, once, whichever path produced it.
  return maskedOutcome(await converted(a), a.secrets);
}

/** A conversion's upstream answer, as the readers of its body need it. */
interface Exchange {
  res: Response;
  /** The answer's headers, from the upstream's. */
  headers: Headers;
  deadlines: Deadlines;
  ctx: CodecContext;
  upstream: Format;
  /** Reports the conversion's lossy steps (once the answer is known). */
  warned: () => void;
}

async function converted(a: Attempt): Promise<AttemptOutcome> {
  const { call, model, server } = a;
  const upstream = FORMATS[model.apiType];
  const ctx = codecContext(call.group, upstream);
  const ir = call.client.codec.decodeRequest(call.body, ctx);
  if (isRouterError(ir)) return failed(ir);
  ir.stream = call.stream;

  // Media the upstream cannot fetch by URL is downloaded and inlined. One download per URL for
  // the whole request, whatever the attempt; a failed one is never the model's fault.
  call.media ??= new RequestMedia(server.media, a.signal);
  const mediaError = await call.media.inline(ir, upstream.mustInline, model, a.log, call.group);
  if (mediaError) return { kind: "failed", error: mediaError, retryable: false };
  const encoded = upstream.codec.encodeRequest(ir, { ...ctx, target: model });
  if (isRouterError(encoded)) return failed(encoded);
  const body =
    model.rewriteBody && call.op === "generate" ? mergePatch(encoded, model.rewriteBody) : encoded;

  // The upstream is always asked for SSE when streaming; the client's own framing is rebuilt by its encoder.
  // `format` stays the client's: the target forwards only its own format's client headers.
  const target = upstream.upstreamTarget(model, { ...call, sse: true });
  const answer = await callModel(model, target, JSON.stringify(body), a.signal, call.stream);
  if (isRouterError(answer)) return failed(answer);
  const { res, deadlines } = answer;

  const headers = responseHeaders(res.headers, ACCOUNT_HEADERS);
  headers.delete("content-type");
  const warned = () => reportWarnings(headers, ctx.warnings.list, a.log, call, model);
  const x: Exchange = { res, headers, deadlines, ctx, upstream, warned };
  if (!res.ok) {
    const text = await readCappedText(res, server.maxResponseBytes);
    deadlines.done();
    warned();
    if (text === "too_large") {
      const waitMs = waitAsked(res.status, res.headers, () => undefined);
      return failed(tooLarge(model, server.maxResponseBytes), undefined, waitMs);
    }
    const error = upstream.codec.decodeError(res.status, text ?? "", res.headers);
    return failed(
      error,
      undefined,
      waitAsked(res.status, res.headers, () => error.retryAfter),
    );
  }
  return call.stream ? streamAnswer(a, x, ir) : jsonAnswer(a, x);
}

/** A whole answer: read within the cap, decoded, and encoded for the client. */
async function jsonAnswer(a: Attempt, x: Exchange): Promise<AttemptOutcome> {
  const { model, server } = a;
  const bytes = await readAnswer(x, model, server.maxResponseBytes);
  if (isRouterError(bytes)) return failed(bytes);
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    return failed(
      routerError("bad_gateway", `upstream (${model.apiType}) answered with invalid JSON`, {
        cause,
      }),
    );
  }
  const decoded = x.upstream.codec.decodeResponse(json, x.ctx);
  if (isRouterError(decoded)) return failed(decoded);
  a.onUsage?.(decoded.usage);
  x.warned();
  a.onEnd("done");
  const answer = a.call.client.codec.encodeResponse(decoded, x.ctx);
  return { kind: "committed", response: jsonResponse(answer, 200, x.headers) };
}

/** A streamed answer: pumped through the upstream's decoder and the client's encoder. */
async function streamAnswer(a: Attempt, x: Exchange, ir: IRRequest): Promise<AttemptOutcome> {
  const { call, model } = a;
  if (!x.res.body)
    return (
      x.deadlines.done(),
      failed(routerError("bad_gateway", `upstream (${model.apiType}) sent no body`))
    );
  // A client stream that is not SSE is its format's own framing (Gemini's streamed JSON array).
  const jsonArray = !call.sse;
  const transcoder = new CodecTranscoder(
    maskingErrors(withUsage(x.upstream.codec.createStreamDecoder(x.ctx), a.onUsage), a.secrets),
    call.client.codec.createStreamEncoder(x.ctx, ir, {
      jsonArray,
      heldLimit: a.server.maxResponseBytes,
    }),
    model.apiType,
  );
  const onEnd = (how: StreamEnd) => {
    if (how === "broken")
      a.log.warn("upstream stream failed", { group: call.group, model: model.name });
    a.onEnd(how);
  };
  const stream = await pump(x.res.body, transcoder, onEnd, x.deadlines, keepAlive(a, jsonArray));
  if (isRouterError(stream)) return failed(x.deadlines.expired ?? stream);
  x.warned();
  const headers = x.headers;
  headers.set("content-type", jsonArray ? "application/json" : "text/event-stream");
  headers.set("cache-control", "no-cache");
  headers.set("x-accel-buffering", "no");
  return { kind: "committed", response: new Response(stream, { status: 200, headers }) };
}

/**
 * The client format's keep-alive for a converted stream, which nothing else keeps alive: a
 * passthrough stream carries the upstream's own pings, but a conversion drops them with the rest
 * of what the client's format has no word for. Off when set to 0, and for a stream that is not
 * SSE (the format's comment says why).
 */
function keepAlive(a: Attempt, jsonArray: boolean): KeepAliveRule | undefined {
  const bytes = a.call.client.streamKeepAlive;
  const everyMs = a.server.streamKeepAliveMs;
  return bytes && everyMs > 0 && !jsonArray ? { bytes, everyMs } : undefined;
}

/** Reports the last (cumulative) usage a stream carried, once the stream is over. */
function withUsage(decoder: StreamDecoder, onUsage?: (u: Usage) => void): StreamDecoder {
  if (!onUsage) return decoder;
  let last: Usage | undefined;
  const tap = (events: StreamEvent[]) => {
    for (const e of events) if (e.type === "usage") last = e.usage;
    return events;
  };
  return {
    push: (frame) => tap(decoder.push(frame)),
    phase: () => decoder.phase?.() ?? "open",
    end: () => {
      const events = tap(decoder.end());
      if (last) onUsage(last);
      return events;
    },
  };
}

const utf8 = new TextDecoder();
