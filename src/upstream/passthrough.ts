import type { ModelConfig, ServerSettings } from "../config/types";
import { routerError, type RouterError } from "../ir";
import { JsonStringRewriter, replaceEvery, replaceFirst } from "../wire/json/string-rewriter";
import { SseDataEditor } from "../wire/sse/data-rewriter";
import { lastFrame } from "../wire/sse/last-frame";
import { LineCap, lineTooLarge, MAX_LINE_BYTES } from "../wire/sse/line-cap";
import type { InboundCall, WireFormat } from "../wire/types";
import { failed, type AttemptOutcome, type OnStreamEnd } from "./attempt";
import { Deadlines } from "./deadlines";
import { callUpstream } from "./fetch";
import { applyHeaderRewrite, responseHeaders } from "./headers";
import { mergePatch } from "./merge-patch";
import { readCapped, tooLarge } from "./read-capped";
import type { Settled } from "./reads";
import { relay, type ByteEditor } from "./relay";

/**
 * Same format in and out: the request is forwarded with only the model, auth headers and
 * configured rewrites changed, and the response streams back byte for byte except for the one
 * value that names the model, which names the client's group instead (Claude Code drops its
 * thinking history when the answer names another model). The upstream model goes in a header.
 */
export async function passthrough(call: InboundCall, model: ModelConfig, server: ServerSettings, wire: WireFormat, signal: AbortSignal, onEnd: OnStreamEnd): Promise<AttemptOutcome> {
  const target = wire.upstreamTarget(model, call);
  applyHeaderRewrite(target.headers, model.rewriteHeader);
  // The body first: serialising can throw (absurd nesting), and must not leave timers armed.
  const payload = requestBody(call, model, target.bodyModelPath);
  const deadlines = new Deadlines(model.timeouts, signal, call.stream);
  const res = await callUpstream({ url: target.url, headers: target.headers, body: payload, signal, proxy: model.proxy, deadlines });
  if (res instanceof Response === false) return deadlines.done(), failed(res);

  const headers = responseHeaders(res.headers);
  if (!res.ok) {
    // The upstream's error is already in the client's format: it is the answer if no retry follows.
    deadlines.done();
    const error = routerError("upstream_error", `upstream (${model.apiType}) answered ${res.status}`, { status: res.status });
    return failed(error, new Response(res.body, { status: res.status, headers }));
  }
  if (!res.body) return deadlines.done(), failed(routerError("bad_gateway", `upstream (${model.apiType}) sent no body`));

  const sse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  // A whole JSON answer is of no use to a client until complete, so it is read in one native call
  // and edited once: far cheaper than relaying it through a stream, and no later for the client.
  if (!sse && !call.stream) return wholeJson(res, call, wire, model, server.maxResponseBytes, headers, deadlines, onEnd);
  const broken = () => deadlines.expired ?? routerError("bad_gateway", `upstream (${model.apiType}) broke off its stream`);
  const body = await relay(res.body, editorFor(call, wire, sse, broken, model), onEnd, deadlines);
  if (body === "broken") return failed(deadlines.expired ?? routerError("bad_gateway", `upstream (${model.apiType}) closed before sending its answer`));
  if (body === "oversized") return failed(lineTooLarge(model.apiType));
  if (sse) {
    headers.set("cache-control", "no-cache");
    headers.set("x-accel-buffering", "no");
  }
  return { kind: "committed", response: new Response(body, { status: res.status, headers }) };
}

async function wholeJson(res: Response, call: InboundCall, wire: WireFormat, model: ModelConfig, cap: number, headers: Headers, deadlines: Deadlines, onEnd: OnStreamEnd): Promise<AttemptOutcome> {
  const bytes = await readCapped(res, cap);
  deadlines.done();
  if (bytes === "too_large") return failed(tooLarge(model, cap));
  if (!bytes?.length) return failed(deadlines.expired ?? routerError("bad_gateway", `upstream (${model.apiType}) broke off its answer`));
  // The whole answer is in hand: one that does not parse (cut off, garbage) is a failed attempt,
  // never a 200 the client cannot read.
  if (!isJson(bytes)) return failed(routerError("bad_gateway", `upstream (${model.apiType}) answered with invalid JSON`));
  onEnd("done");
  const body = replaceFirst(bytes, wire.responseModel.json, call.group);
  return { kind: "committed", response: new Response(body, { status: res.status, headers }) };
}

const utf8 = new TextDecoder();

function isJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(utf8.decode(bytes));
    return true;
  } catch {
    return false;
  }
}

function editorFor(call: InboundCall, wire: WireFormat, sse: boolean, failure: () => RouterError, model: ModelConfig): ByteEditor {
  const edit = wire.responseModel;
  if (sse) return sseEditor(new SseDataEditor(edit.sse, call.group), wire, failure, model);
  const array = call.stream && edit.jsonArray !== undefined;
  // The rewriter walks every byte of an array anyway: it measures its elements on the way.
  const json = new JsonStringRewriter(array ? edit.jsonArray! : edit.json, call.group, { once: !array, elementCap: array ? MAX_LINE_BYTES : undefined });
  // A streamed JSON document (Gemini without alt=sse is one array) is whole only once it closed.
  let last: Uint8Array = EMPTY;
  const closed = () => lastByte(last) === (array ? CLOSE_ARRAY : CLOSE_OBJECT);
  return {
    push: (chunk) => ((last = lastByte(chunk) === undefined ? last : chunk), json.push(chunk)),
    end: () => EMPTY,
    // Mid-element there is no place for an error element: the client's connection is cut instead.
    oversized: () => json.oversized,
    opening: () => json.inFirstElement,
    complete: closed,
    // A document that looks closed is most likely whole; only the upstream's close confirms it.
    settled: () => (closed() ? "closing" : undefined),
  };
}

const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const notSpace = (b: number) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09;

/** The last byte that is not JSON whitespace; scanned from the end, so it usually looks at one. */
function lastByte(chunk: Uint8Array): number | undefined {
  for (let i = chunk.length - 1; i >= 0; i--) if (notSpace(chunk[i]!)) return chunk[i];
  return undefined;
}

const EMPTY = new Uint8Array(0);

/** The last `n` bytes of a chunk (all of it by default), as a Buffer view (no copy) for its byte search. */
function tail(chunk: Uint8Array, n = chunk.length): Buffer {
  const from = Math.max(0, chunk.length - n);
  return Buffer.from(chunk.buffer, chunk.byteOffset + from, chunk.length - from);
}
const encoder = new TextEncoder();

/** How each format's stream ends when it ended well; looked for in the last bytes only. */
const END_MARKER: Record<string, string> = { openai: "data: [DONE]", anthropic: "message_stop", gemini: '"finishReason"' };
const TAIL_BYTES = 8192;

/**
 * The last frame of a format whose stream ends with an event of its own: once it went through,
 * the answer is whole. Gemini has none; its finishReason only says the close is near.
 */
const FINAL_FRAME: Record<string, RegExp | undefined> = {
  openai: /^data: ?\[DONE\]$/m,
  anthropic: /^(event: ?message_stop|data: ?\{"type": ?"message_stop")/m,
};

function settledBy(format: string): (out: Uint8Array, was: Settled) => Settled {
  const final = FINAL_FRAME[format];
  if (final) return (out, was) => (out.length === 0 ? was : final.test(lastFrame(out) ?? "") ? "over" : undefined);
  const finish = END_MARKER[format]!;
  return (out, was) => was ?? (tail(out).includes(finish) ? "closing" : undefined);
}

/**
 * The SSE editor plus end-of-stream judgement: the last bytes are kept (two chunks' worth at
 * most, by reference) so a stream that closed without its end marker is recognised as truncated,
 * and a broken stream ends with the client format's own in-stream error event.
 */
function sseEditor(inner: SseDataEditor, wire: WireFormat, failure: () => RouterError, model: ModelConfig): ByteEditor {
  const lines = new LineCap();
  let oversized = false;
  let last: Uint8Array = EMPTY;
  let previous: Uint8Array = EMPTY;
  let state: Settled;
  const settle = settledBy(wire.name);
  const keep = (out: Uint8Array) => {
    if (out.length) (previous = last), (last = out);
    return out;
  };
  return {
    push: (chunk) => {
      if (lines.over(chunk)) return (oversized = true), EMPTY;
      const out = keep(inner.push(chunk));
      state = settle(out, state);
      return out;
    },
    settled: () => state,
    end: () => keep(inner.end()),
    complete() {
      const marker = END_MARKER[wire.name]!;
      // The marker is nearly always in the last read: the two reads are joined only when it is not.
      if (tail(last, TAIL_BYTES).includes(marker)) return true;
      if (last.length >= TAIL_BYTES) return false;
      return Buffer.concat([tail(previous, TAIL_BYTES - last.length), last]).includes(marker);
    },
    oversized: () => oversized,
    opening: () => lines.opening,
    // A blank line first: a stream cut inside a line has its event end there, so the error
    // event is read on its own instead of as more lines of the broken one.
    fail: () => encoder.encode("\n\n" + wire.streamError(oversized ? lineTooLarge(model.apiType) : failure())),
  };
}

/**
 * The upstream body. Without a body rewrite the client's bytes are kept and only the model
 * value is replaced in place (every top-level occurrence, so a duplicated key cannot smuggle
 * the group name through); with one, the merge patch needs the parsed body.
 */
function requestBody(call: InboundCall, model: ModelConfig, modelPath: readonly string[] | undefined): Uint8Array | string {
  // Rewrites are written for generation requests; token counting endpoints reject extra fields.
  if (model.rewriteBody && call.op === "generate") {
    const body = modelPath ? { ...call.body, model: model.model } : call.body;
    return JSON.stringify(mergePatch(body, model.rewriteBody));
  }
  if (!modelPath) return call.raw;
  return replaceEvery(call.raw, modelPath, model.model);
}
