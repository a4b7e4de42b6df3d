import type { ModelConfig, ServerSettings } from "../config/types";
import { CODECS } from "../convert/codecs";
import { codecContext } from "../convert/context";
import { estimateInputTokens } from "../convert/estimate";
import { isRouterError, type IRRequest } from "../ir";
import type { Logger } from "../log";
import { jsonResponse } from "../wire/respond";
import type { InboundCall } from "../wire/types";
import { WIRE } from "../wire";
import { failed, type AttemptOutcome, type OnStreamEnd } from "./attempt";
import { Deadlines } from "./deadlines";
import { callUpstream } from "./fetch";
import { applyHeaderRewrite } from "./headers";
import { readCapped } from "./read-capped";

/**
 * Token counting when client and upstream differ. Where the upstream can count (Anthropic,
 * Gemini) the request is converted and asked; otherwise, or when that call fails, a local
 * estimate answers — clients such as Claude Code call this often and must never see a 5xx.
 */
export async function countTokensConverted(
  call: InboundCall,
  model: ModelConfig,
  server: ServerSettings,
  signal: AbortSignal,
  log: Logger,
  onEnd: OnStreamEnd,
): Promise<AttemptOutcome> {
  const ctx = codecContext(call.group, model.apiType);
  const source =
    call.format === "gemini" && isObject(call.body.generateContentRequest)
      ? call.body.generateContentRequest
      : call.body;
  const ir = CODECS[call.format].decodeRequest(source, ctx);
  if (isRouterError(ir)) return failed(ir);

  let count: number | undefined;
  if (model.apiType !== "openai") {
    count = await askUpstream(ir, call, model, server.maxResponseBytes, signal).catch((e) => {
      log.debug("upstream token count failed; estimating", { model: model.name, error: String(e) });
      return undefined;
    });
  }
  const estimated = count === undefined;
  const tokens = count ?? (await estimateInputTokens(ir));
  const headers: Record<string, string> = {
    "x-llm-router-token-count": estimated ? "estimate" : "upstream",
  };
  onEnd("done");
  return {
    kind: "committed",
    response: jsonResponse(
      call.format === "gemini" ? { totalTokens: tokens } : { input_tokens: tokens },
      200,
      headers,
    ),
  };
}

async function askUpstream(
  ir: IRRequest,
  call: InboundCall,
  model: ModelConfig,
  maxBytes: number,
  signal: AbortSignal,
): Promise<number | undefined> {
  const ctx = codecContext(call.group, model.apiType);
  const encoded = CODECS[model.apiType].encodeRequest(
    { ...ir, stream: false },
    { ...ctx, target: model },
  );
  if (isRouterError(encoded)) return undefined;
  const target = WIRE[model.apiType].upstreamTarget(model, {
    ...call,
    op: "countTokens",
    stream: false,
  });
  applyHeaderRewrite(target.headers, model.rewriteHeader);
  const body =
    model.apiType === "gemini"
      ? { generateContentRequest: { model: `models/${model.model}`, ...encoded } }
      : countableAnthropic(encoded);
  const deadlines = new Deadlines(model.timeouts, signal, false);
  let bytes: Uint8Array | "too_large" | undefined;
  try {
    const res = await callUpstream({
      url: target.url,
      headers: target.headers,
      body: JSON.stringify(body),
      signal,
      proxy: model.proxy,
      deadlines,
    });
    if (isRouterError(res)) return undefined;
    // An error's text is never shown (the estimate answers instead); its body is only let go.
    if (!res.ok) return (void res.body?.cancel().catch(() => {}), undefined);
    // Read within the response cap, like every whole upstream body: a count is a few bytes.
    bytes = await readCapped(res, maxBytes);
  } finally {
    deadlines.done();
  }
  if (!(bytes instanceof Uint8Array)) return undefined;
  const json = JSON.parse(utf8.decode(bytes)) as {
    input_tokens?: unknown;
    totalTokens?: unknown;
  } | null;
  if (!isObject(json)) return undefined;
  const n = model.apiType === "gemini" ? json.totalTokens : json.input_tokens;
  return typeof n === "number" ? n : undefined;
}

const utf8 = new TextDecoder();

/** count_tokens takes the generation body minus the knobs that only shape the output. */
function countableAnthropic(body: Record<string, unknown>): Record<string, unknown> {
  const { model, messages, system, tools, tool_choice, thinking } = body;
  return Object.fromEntries(
    Object.entries({ model, messages, system, tools, tool_choice, thinking }).filter(
      ([, v]) => v !== undefined,
    ),
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
