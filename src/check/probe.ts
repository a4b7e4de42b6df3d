import type { ModelConfig } from "../config/types";
import { FORMATS } from "../wire";
import { isRouterError, type IRResponse, type StreamEvent } from "../ir";
import { callUpstream } from "../upstream/fetch";
import type { CodecContext } from "../wire/codec";
import type { Json } from "../wire/read";
import { SseFramer } from "../wire/sse/frames";
import { sanitize } from "./redact";
import { buildProbe, PROBE_TOOL, type ProbeAdjust } from "./request";
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

/**
 * Refusals that say nothing about whether the model answers, each met by one change to the probe,
 * made once: the report says what was refused, since client requests asking the same will fail
 * the same way. A forced tool_choice (GLM; DeepSeek, Qwen and Kimi while thinking) and a
 * non-streamed call (DashScope with enable_thinking, models that only stream) are refused by
 * some upstreams; the format's own variant (OpenAI's token-limit name) comes from its retryProbe.
 */
const TOOL_CHOICE_REFUSED = /tool.?choice/i;
const STREAM_ONLY =
  /non-?stream|only supports? stream|stream(ing)? (mode )?(is )?required|must (be )?stream/i;

/** What the probe has changed so far: each change is made at most once. */
interface Tried {
  adjust: ProbeAdjust;
  rename?: [from: string, to: string];
}

interface Retry {
  adjust?: keyof ProbeAdjust;
  rename?: [from: string, to: string];
  note: string;
}

function retryFor(
  model: ModelConfig,
  kind: CheckKind,
  tried: Tried,
  body: Json,
  status: number,
  message: string,
): Retry | undefined {
  if (status !== 400) return undefined;
  const swapped = tried.rename
    ? undefined
    : FORMATS[model.apiType].retryProbe?.(body, status, message);
  if (swapped) {
    const from = Object.keys(body).find((k) => !(k in swapped))!;
    const to = Object.keys(swapped).find((k) => !(k in body))!;
    return { rename: [from, to], note: `upstream refuses ${from}; probed again with ${to}` };
  }
  if (kind === "tools" && !tried.adjust.autoTools && TOOL_CHOICE_REFUSED.test(message))
    return {
      adjust: "autoTools",
      note: "upstream refuses a forced tool_choice; probed again with auto",
    };
  if (kind !== "stream" && !tried.adjust.stream && STREAM_ONLY.test(message))
    return { adjust: "stream", note: "upstream answers only streams; probed again as a stream" };
  return undefined;
}

function renamed(body: Json, rename: [string, string] | undefined): Json {
  if (!rename || !(rename[0] in body)) return body;
  const { [rename[0]]: value, ...rest } = body;
  return { ...rest, [rename[1]]: value };
}

async function probe(model: ModelConfig, kind: CheckKind, signal: AbortSignal): Promise<Verdict> {
  const tried: Tried = { adjust: {} };
  const notes: string[] = [];
  for (;;) {
    const req = buildProbe(model, kind, tried.adjust);
    if (isRouterError(req))
      return { ok: false, error: `cannot build the probe request: ${req.message}` };
    const body = renamed(req.body, tried.rename);
    const res = await callUpstream({
      url: req.url,
      headers: req.headers,
      body: JSON.stringify(body),
      signal,
    });
    if (isRouterError(res)) return withNotes({ ok: false, error: res.message }, notes);
    if (res.ok) {
      const verdict =
        kind === "stream" || tried.adjust.stream
          ? await readStream(res, req.ctx, model, kind)
          : await readAnswer(res, req.ctx, model, kind);
      return withNotes(verdict, notes);
    }
    const text = await res.text().catch(() => "");
    const error = FORMATS[model.apiType].codec.decodeError(res.status, text, res.headers);
    const retry = retryFor(model, kind, tried, body, res.status, error.message);
    if (!retry) {
      const failed = {
        ok: false,
        status: res.status,
        error: error.message || `HTTP ${res.status}`,
      };
      return withNotes(failed, notes);
    }
    // Documented choice: the model answers, so the probe passes, but with the note.
    notes.push(retry.note);
    if (retry.rename) tried.rename = retry.rename;
    if (retry.adjust) tried.adjust = { ...tried.adjust, [retry.adjust]: true };
  }
}

/** A verdict reached after a re-ask says so: in its note when it passed, in its error when not. */
function withNotes(verdict: Verdict, notes: string[]): Verdict {
  if (notes.length === 0) return verdict;
  if (verdict.ok) return { ...verdict, note: [...notes, verdict.note].filter(Boolean).join("; ") };
  return { ...verdict, error: `${verdict.error} (${notes.join("; ")})` };
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
  const call = decoded.parts.find((p) => p.type === "tool_call");
  return toolVerdict(
    call?.type === "tool_call" ? call.name : undefined,
    decoded.finish,
    res.status,
  );
}

/** The tool probe's verdict, from the name of the first tool the model called (if any). */
function toolVerdict(
  called: string | undefined,
  finish: IRResponse["finish"],
  status: number,
): Verdict {
  if (called === undefined)
    return {
      ok: false,
      status,
      error: `answered without calling the probe's tool (finish: ${finish.raw ?? finish.reason})`,
    };
  if (called !== PROBE_TOOL)
    return { ok: false, status, error: `called "${called}" instead of the ${PROBE_TOOL} tool` };
  return { ok: true, status };
}

/**
 * Reads the whole stream through the router's own framer and decoder: it passes only when the
 * decoder saw the format's end marker (decoders report a stream that stops short as an error)
 * and some text arrived (for a tool probe sent as a stream: the call). A reasoning model whose
 * 16 tokens all went to thinking has proved the stream works end to end, so a finish of "length"
 * without text passes with a note.
 */
async function readStream(
  res: Response,
  ctx: CodecContext,
  model: ModelConfig,
  kind: CheckKind,
): Promise<Verdict> {
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
  if (kind === "tools") {
    const call = events.find((e) => e.type === "tool_start");
    return toolVerdict(
      call?.type === "tool_start" ? call.name : undefined,
      finish.finish,
      res.status,
    );
  }
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
