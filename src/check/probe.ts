import type { ModelConfig } from "../config/types";
import { FORMATS } from "../wire";
import { isRouterError, type IRResponse, type StreamEvent } from "../ir";
import { callUpstream } from "../upstream/fetch";
import type { CodecContext } from "../wire/codec";
import { SseFramer } from "../wire/sse/frames";
import { sanitize } from "./redact";
import { buildProbe, PROBE_TOOL } from "./request";
import type { CheckKind, ProbeResult } from "./types";

/** A probe's verdict before timing and redaction are added. */
type Verdict =
  { ok: true; status: number; note?: string } | { ok: false; status?: number; error: string };

/**
 * One probe of one model, bounded by `timeoutMs` from the first byte sent to the last byte read.
 * Goes through callUpstream, so whatever the router's upstream calls get (the proxy) applies.
 * A model without an `api_key` is probed too, without auth headers, as the router calls it:
 * Ollama, vLLM and other local servers need none.
 */
export async function runProbe(
  model: ModelConfig,
  kind: CheckKind,
  timeoutMs: number,
  secrets: readonly string[],
): Promise<ProbeResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const started = performance.now();
  let verdict: Verdict;
  try {
    verdict = await probe(model, kind, abort.signal);
  } catch (cause) {
    verdict = { ok: false, error: cause instanceof Error ? cause.message : String(cause) };
  } finally {
    clearTimeout(timer);
  }
  const latencyMs = Math.round(performance.now() - started);
  if (abort.signal.aborted && !verdict.ok) {
    verdict = {
      ok: false,
      status: verdict.status,
      error: `timed out after ${formatSeconds(timeoutMs)}`,
    };
  }
  if (!verdict.ok) {
    let error = sanitize(verdict.error, secrets);
    // In front, so that clipping a long upstream message cannot cut it off.
    if (!model.apiKey && (verdict.status === 401 || verdict.status === 403))
      error = sanitize(`no api_key configured: ${error}`, secrets);
    return { kind, ok: false, status: verdict.status, latencyMs, error };
  }
  return {
    kind,
    ok: true,
    status: verdict.status,
    latencyMs,
    ...(verdict.note ? { note: sanitize(verdict.note, secrets) } : {}),
  };
}

async function probe(model: ModelConfig, kind: CheckKind, signal: AbortSignal): Promise<Verdict> {
  const req = buildProbe(model, kind);
  if (isRouterError(req))
    return { ok: false, error: `cannot build the probe request: ${req.message}` };
  const format = FORMATS[model.apiType];
  let body = req.body;
  let note: string | undefined;
  for (let tries = 0; ; tries++) {
    const res = await callUpstream({
      url: req.url,
      headers: req.headers,
      body: JSON.stringify(body),
      signal,
    });
    if (isRouterError(res)) return { ok: false, error: res.message };
    if (res.ok) {
      const verdict =
        kind === "stream"
          ? await readStream(res, req.ctx, model)
          : await readAnswer(res, req.ctx, model, kind);
      return verdict.ok && note
        ? { ...verdict, note: [note, verdict.note].filter(Boolean).join("; ") }
        : verdict;
    }
    const text = await res.text().catch(() => "");
    const error = format.codec.decodeError(res.status, text, res.headers);
    const swapped = tries === 0 ? format.retryProbe?.(body, res.status, error.message) : undefined;
    if (!swapped)
      return { ok: false, status: res.status, error: error.message || `HTTP ${res.status}` };
    // Documented choice: the model answers, so the probe passes, but the report says which name
    // it refused, since client requests using that name will fail the same way.
    const refused = Object.keys(body).find((k) => !(k in swapped))!;
    note = `upstream refuses ${refused}; probed again with ${Object.keys(swapped).find((k) => !(k in body))}`;
    body = swapped;
  }
}

async function readAnswer(
  res: Response,
  ctx: CodecContext,
  model: ModelConfig,
  kind: CheckKind,
): Promise<Verdict> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      status: res.status,
      error: `answered ${res.status} with a body that is not JSON: ${text.slice(0, 80)}`,
    };
  }
  const decoded = FORMATS[model.apiType].codec.decodeResponse(json, ctx);
  if (isRouterError(decoded)) return { ok: false, status: res.status, error: decoded.message };
  if (kind !== "tools") return { ok: true, status: res.status };
  return toolVerdict(decoded, res.status);
}

function toolVerdict(answer: IRResponse, status: number): Verdict {
  const call = answer.parts.find((p) => p.type === "tool_call");
  if (!call)
    return {
      ok: false,
      status,
      error: `answered without calling the forced tool (finish: ${answer.finish.raw ?? answer.finish.reason})`,
    };
  if (call.name !== PROBE_TOOL)
    return { ok: false, status, error: `called "${call.name}" instead of the ${PROBE_TOOL} tool` };
  return { ok: true, status };
}

/**
 * Reads the whole stream through the router's own framer and decoder: it passes only when the
 * decoder saw the format's end marker (decoders report a stream that stops short as an error)
 * and some text arrived. A reasoning model whose 16 tokens all went to thinking has proved the
 * stream works end to end, so a finish of "length" without text passes with a note.
 */
async function readStream(res: Response, ctx: CodecContext, model: ModelConfig): Promise<Verdict> {
  if (!res.body) return { ok: false, status: res.status, error: "answered without a body" };
  const decoder = FORMATS[model.apiType].codec.createStreamDecoder(ctx);
  const framer = new SseFramer();
  const utf8 = new TextDecoder();
  const events: StreamEvent[] = [];
  for await (const chunk of res.body) {
    for (const frame of framer.push(utf8.decode(chunk, { stream: true })))
      events.push(...decoder.push(frame));
  }
  for (const frame of [...framer.push(utf8.decode()), ...framer.end()])
    events.push(...decoder.push(frame));
  events.push(...decoder.end());

  const failure = events.find((e) => e.type === "error");
  if (failure?.type === "error")
    return { ok: false, status: res.status, error: `stream failed: ${failure.error.message}` };
  const finish = events.findLast((e) => e.type === "finish");
  if (finish?.type !== "finish")
    return { ok: false, status: res.status, error: "stream ended without its end marker" };
  const text = events.some((e) => e.type === "text" && e.text !== "");
  if (text) return { ok: true, status: res.status };
  if (finish.finish.reason === "length")
    return {
      ok: true,
      status: res.status,
      note: "stream complete, but the token budget went to reasoning before any text",
    };
  return {
    ok: false,
    status: res.status,
    error: `stream ended without text (finish: ${finish.finish.raw ?? finish.finish.reason})`,
  };
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
