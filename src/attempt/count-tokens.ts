import { isRouterError, routerError, type IRRequest } from "../ir";
import { readCapped } from "../upstream/read-capped";
import { codecContext, FORMATS, type Format } from "../wire";
import type { CodecContext } from "../wire/codec";
import type { TokenCounting } from "../wire/format";
import { jsonResponse } from "../wire/respond";
import { estimateInputTokens } from "./estimate";
import { failed, type Attempt, type AttemptOutcome } from "./outcome";
import { callModel } from "./call-model";

/**
 * Token counting when client and upstream differ. Where the upstream's format can count, the
 * request is converted and asked; otherwise, or when that call fails, a local
 * estimate answers — clients such as Claude Code call this often and must never see a 5xx.
 */
export async function countTokens(a: Attempt): Promise<AttemptOutcome> {
  const { call, model } = a;
  // Only a format with a count endpoint routes count requests here.
  const asked = call.client.countTokens;
  if (!asked) return failed(routerError("not_found", "this API has no token counting endpoint"));
  const upstream = FORMATS[model.apiType];
  const ctx = codecContext(call.group, upstream);
  const ir = call.client.codec.decodeRequest(asked.request(call.body), ctx);
  if (isRouterError(ir)) return failed(ir);

  let count: number | undefined;
  if (upstream.countTokens) {
    count = await askUpstream(a, { ir, upstream, counting: upstream.countTokens, ctx }).catch(
      (e) => {
        a.log.debug("upstream token count failed; estimating", {
          model: model.name,
          error: String(e),
        });
        return undefined;
      },
    );
  }
  const estimated = count === undefined;
  const tokens = count ?? (await estimateInputTokens(ir));
  const headers: Record<string, string> = {
    "x-llm-router-token-count": estimated ? "estimate" : "upstream",
  };
  a.onEnd("done");
  return { kind: "committed", response: jsonResponse(asked.answer(tokens), 200, headers) };
}

/** The request decoded once, and the upstream format that is asked to count it. */
interface CountJob {
  ir: IRRequest;
  upstream: Format;
  counting: TokenCounting;
  ctx: CodecContext;
}

async function askUpstream(a: Attempt, job: CountJob): Promise<number | undefined> {
  const { call, model, signal } = a;
  const { ir, upstream, counting, ctx } = job;
  const encoded = upstream.codec.encodeRequest({ ...ir, stream: false }, { ...ctx, target: model });
  if (isRouterError(encoded)) return undefined;
  const target = upstream.upstreamTarget(model, { ...call, op: "countTokens", stream: false });
  const body = JSON.stringify(counting.upstreamBody(encoded, model));
  const answer = await callModel(model, target, body, signal, false);
  if (isRouterError(answer)) return undefined;
  const { res, deadlines } = answer;
  let bytes: Uint8Array | "too_large" | undefined;
  try {
    // An error's text is never shown (the estimate answers instead); its body is only let go.
    if (!res.ok) return (void res.body?.cancel().catch(() => {}), undefined);
    // Read within the response cap, like every whole upstream body: a count is a few bytes.
    bytes = await readCapped(res, a.server.maxResponseBytes);
  } finally {
    deadlines.done();
  }
  if (!(bytes instanceof Uint8Array)) return undefined;
  return counting.upstreamCount(JSON.parse(utf8.decode(bytes)));
}

const utf8 = new TextDecoder();
