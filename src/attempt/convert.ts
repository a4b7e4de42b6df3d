import type { ModelConfig, ServerSettings } from "../config/types";
import { CodecTranscoder } from "../relay/codec-transcoder";
import { pump } from "../relay/pump";
import { isRouterError, routerError, type StreamEvent, type Usage, type Warning } from "../ir";
import type { StreamDecoder } from "../wire/codec";
import type { Logger, SecretMask } from "../log";
import { jsonResponse } from "../wire/respond";
import { codecContext, FORMATS } from "../wire";
import { failed, type AttemptOutcome, type OnStreamEnd, type RoutedCall } from "./outcome";
import { Deadlines } from "../upstream/deadlines";
import { callUpstream } from "../upstream/fetch";
import { applyHeaderRewrite, responseHeaders } from "../upstream/headers";
import { RequestMedia } from "../upstream/media/request-media";
import { mergePatch } from "../upstream/merge-patch";
import { maskedOutcome, maskingErrors } from "./mask-errors";
import { readCappedText, tooLarge } from "../upstream/read-capped";

/**
 * Client and upstream speak different formats: decode the request into the neutral form,
 * encode it for the upstream, and convert the answer (body, stream or error) back.
 */
export async function converted(
  call: RoutedCall,
  model: ModelConfig,
  server: ServerSettings,
  secrets: SecretMask,
  signal: AbortSignal,
  log: Logger,
  onEnd: OnStreamEnd,
  onUsage?: (u: Usage) => void,
): Promise<AttemptOutcome> {
  // A failure's message may carry upstream text (a provider quoting the key it was sent): masked
  // here, once, whichever path produced it.
  return maskedOutcome(
    await convert(call, model, server, secrets, signal, log, onEnd, onUsage),
    secrets,
  );
}

async function convert(
  call: RoutedCall,
  model: ModelConfig,
  server: ServerSettings,
  secrets: SecretMask,
  signal: AbortSignal,
  log: Logger,
  onEnd: OnStreamEnd,
  onUsage?: (u: Usage) => void,
): Promise<AttemptOutcome> {
  const upstream = FORMATS[model.apiType];
  const client = call.client.codec;
  const target = upstream.codec;
  const ctx = codecContext(call.group, upstream);
  const ir = client.decodeRequest(call.body, ctx);
  if (isRouterError(ir)) return failed(ir);
  ir.stream = call.stream;

  // Media the upstream cannot fetch by URL is downloaded and inlined. One download per URL for
  // the whole request, whatever the attempt; a failed one is never the model's fault.
  call.media ??= new RequestMedia(server.media, signal);
  const mediaError = await call.media.inline(ir, upstream.mustInline, model, log, call.group);
  if (mediaError) return { kind: "failed", error: mediaError, retryable: false };
  const encoded = target.encodeRequest(ir, { ...ctx, target: model });
  if (isRouterError(encoded)) return failed(encoded);
  const body =
    model.rewriteBody && call.op === "generate" ? mergePatch(encoded, model.rewriteBody) : encoded;

  // The upstream is always asked for SSE when streaming; the client's own framing is rebuilt by its encoder.
  // `format` stays the client's: the target forwards only its own format's client headers.
  const targetReq = upstream.upstreamTarget(model, { ...call, sse: true });
  applyHeaderRewrite(targetReq.headers, model.rewriteHeader);
  // The body first: serialising can throw (absurd nesting), and must not leave timers armed.
  const payload = JSON.stringify(body);
  const deadlines = new Deadlines(model.timeouts, signal, call.stream);
  const res = await callUpstream({
    url: targetReq.url,
    headers: targetReq.headers,
    body: payload,
    signal,
    proxy: model.proxy,
    deadlines,
  });
  if (isRouterError(res)) return (deadlines.done(), failed(res));

  const headers = responseHeaders(res.headers);
  headers.delete("content-type");
  const warned = () => reportWarnings(headers, ctx.warnings.list, log, call, model);

  if (!res.ok) {
    const text = await readCappedText(res, server.maxResponseBytes);
    deadlines.done();
    warned();
    if (text === "too_large") return failed(tooLarge(model, server.maxResponseBytes));
    return failed(target.decodeError(res.status, text ?? "", res.headers));
  }
  if (!call.stream) {
    const text = await readCappedText(res, server.maxResponseBytes);
    deadlines.done();
    if (text === "too_large") return failed(tooLarge(model, server.maxResponseBytes));
    if (text === undefined)
      return failed(
        deadlines.expired ??
          routerError("bad_gateway", `upstream (${model.apiType}) broke off its answer`),
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      return failed(
        routerError("bad_gateway", `upstream (${model.apiType}) answered with invalid JSON`, {
          cause,
        }),
      );
    }
    const decoded = target.decodeResponse(json, ctx);
    if (isRouterError(decoded)) return failed(decoded);
    onUsage?.(decoded.usage);
    warned();
    onEnd("done");
    return {
      kind: "committed",
      response: jsonResponse(client.encodeResponse(decoded, ctx), 200, headers),
    };
  }
  if (!res.body)
    return (
      deadlines.done(),
      failed(routerError("bad_gateway", `upstream (${model.apiType}) sent no body`))
    );
  // A client stream that is not SSE is its format's own framing (Gemini's streamed JSON array).
  const jsonArray = !call.sse;
  const encoder = client.createStreamEncoder(ctx, ir, { jsonArray });
  const transcoder = new CodecTranscoder(
    maskingErrors(withUsage(target.createStreamDecoder(ctx), onUsage), secrets),
    encoder,
    model.apiType,
  );
  const stream = await pump(
    res.body,
    transcoder,
    (how) => {
      if (how === "broken")
        log.warn("upstream stream failed", { group: call.group, model: model.name });
      onEnd(how);
    },
    deadlines,
  );
  if (isRouterError(stream)) return failed(deadlines.expired ?? stream);
  warned();
  headers.set("content-type", jsonArray ? "application/json" : "text/event-stream");
  headers.set("cache-control", "no-cache");
  headers.set("x-accel-buffering", "no");
  return { kind: "committed", response: new Response(stream, { status: 200, headers }) };
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
    settled: () => decoder.settled?.(),
    end: () => {
      const events = tap(decoder.end());
      if (last) onUsage(last);
      return events;
    },
  };
}

/** Lossy steps are logged and summarised in a header: never silent. */
function reportWarnings(
  headers: Headers,
  warnings: Warning[],
  log: Logger,
  call: RoutedCall,
  model: ModelConfig,
): void {
  if (warnings.length === 0) return;
  headers.set("x-llm-router-warnings", String(warnings.length));
  // Field names can come from the client (unknown keys): keep the header printable ASCII.
  const summary = warnings
    .map((w) => `${w.code}:${w.what}`)
    .join(", ")
    .replace(/[^\x20-\x7e]/g, "?");
  headers.set(
    "x-llm-router-warning-detail",
    summary.length > 1000 ? summary.slice(0, 997) + "..." : summary,
  );
  log.info("conversion warnings", {
    group: call.group,
    model: model.name,
    from: call.format,
    to: model.apiType,
    warnings: summary,
  });
}
