import type { ModelConfig } from "../config/types";
import { isRouterError, routerError } from "../ir";
import { byteTranscoder } from "../relay/byte-transcoder";
import { pump, type StreamEnd } from "../relay/pump";
import { responseHeaders } from "../upstream/headers";
import { mergePatch } from "../upstream/merge-patch";
import { readCapped, tooLarge } from "../upstream/read-capped";
import { withLeadingMembers } from "../wire/json/members";
import { replaceFirst, replaceUnambiguous } from "../wire/json/replace";
import type { KeyPath } from "../wire/json/string-rewriter";
import { ACCOUNT_HEADERS } from "../wire";
import type { InboundCall, UsageReading } from "../wire/format";
import type { Json } from "../wire/read";
import { failed, waitAsked, type Attempt, type AttemptOutcome } from "./outcome";
import { brokeOff, callModel, readAnswer, type ModelAnswer } from "./call-model";

/**
 * Same format in and out: the request is forwarded with only the model, auth headers and
 * configured rewrites changed, and the response streams back byte for byte except for the one
 * value that names the model, which names the client's group instead (Claude Code drops its
 * thinking history when the answer names another model). The upstream model goes in a header.
 *
 * When someone listens (`onUsage`), the answer's usage is read on the way (relay/usage-*.ts) and
 * reported before its end. A stream that carries usage only when asked (OpenAI Chat's
 * `stream_options.include_usage`) is asked when the attempt wants usage; what only that ask
 * brings is then kept from a client that did not ask itself.
 */
export async function passthrough(a: Attempt): Promise<AttemptOutcome> {
  const { call, model, server } = a;
  const wire = call.client;
  const target = wire.upstreamTarget(model, call);
  const reading = a.onUsage && call.op === "generate" ? wire.usage : undefined;
  const ask = reading && a.wantUsage && call.stream ? reading.ask : undefined;
  const asking = ask !== undefined && !ask.asked(call.body);
  const payload = requestBody(
    call,
    model,
    target.bodyModelPath,
    target.bodyModel ?? model.model,
    asking ? ask.patch : undefined,
  );
  const answer = await callModel(model, target, payload, a.signal, call.stream);
  if (isRouterError(answer)) return failed(answer);
  const { res, deadlines } = answer;

  const headers = responseHeaders(res.headers, ACCOUNT_HEADERS);
  if (!res.ok) {
    // The upstream's error is already in the client's format: it is the answer if no retry follows.
    // It is read whole (capped) because servers often quote the key they were sent, which must be
    // masked before the client sees it; the headers lost content-length with the rest.
    const body = await readCapped(res, server.maxResponseBytes);
    deadlines.done();
    const waitMs = waitAsked(res.status, res.headers, () =>
      body instanceof Uint8Array
        ? wire.codec.decodeError(res.status, utf8.decode(body), res.headers).retryAfter
        : undefined,
    );
    if (body === "too_large")
      return failed(tooLarge(model, server.maxResponseBytes), undefined, waitMs);
    const error = routerError(
      "upstream_error",
      `upstream (${model.apiType}) answered ${res.status}`,
      { status: res.status },
    );
    // A body that broke off is not relayed in part: the client gets the router's rendering of the status.
    if (body === undefined) return failed(error, undefined, waitMs);
    const answer = new Response(a.secrets.bytes(body), { status: res.status, headers });
    return failed(error, answer, waitMs);
  }
  if (!res.body)
    return (
      deadlines.done(),
      failed(routerError("bad_gateway", `upstream (${model.apiType}) sent no body`))
    );

  const sse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  // A whole JSON answer is of no use to a client until complete, so it is read in one native call
  // and edited once: far cheaper than relaying it through a stream, and no later for the client.
  if (!sse && !call.stream) return wholeJson(a, answer, headers, reading);
  const transcoder = byteTranscoder({
    call,
    format: wire,
    sse,
    upstream: model.apiType,
    broken: () =>
      deadlines.expired ??
      routerError("bad_gateway", `upstream (${model.apiType}) broke off its stream`),
    usage: reading && { reading, dropExtra: asking },
  });
  // The usage the stream carried goes first: the end is what the request's record is written on.
  // A stream the client cancelled reports what it carried until then (tokens the upstream spent).
  const onEnd = !a.onUsage
    ? a.onEnd
    : (how: StreamEnd) => {
        const usage = transcoder.usage();
        if (usage) a.onUsage!(usage);
        a.onEnd(how);
      };
  const body = await pump(res.body, transcoder, onEnd, deadlines);
  if (isRouterError(body)) return failed(deadlines.expired ?? body);
  if (sse) {
    headers.set("cache-control", "no-cache");
    headers.set("x-accel-buffering", "no");
  }
  return { kind: "committed", response: new Response(body, { status: res.status, headers }) };
}

async function wholeJson(
  a: Attempt,
  answer: ModelAnswer,
  headers: Headers,
  reading: UsageReading | undefined,
): Promise<AttemptOutcome> {
  const { model } = a;
  const bytes = await readAnswer(answer, model, a.server.maxResponseBytes);
  if (isRouterError(bytes)) return failed(bytes);
  if (bytes.length === 0) return failed(answer.deadlines.expired ?? brokeOff(model));
  // The whole answer is in hand: one that does not parse (cut off, garbage) is a failed attempt,
  // never a 200 the client cannot read.
  const json = parsed(bytes);
  if (json === NOT_JSON)
    return failed(
      routerError("bad_gateway", `upstream (${model.apiType}) answered with invalid JSON`),
    );
  if (reading) a.onUsage!(reading.answer(json));
  a.onEnd("done");
  const body = replaceFirst(bytes, a.call.client.responseModel.json, a.call.group);
  return {
    kind: "committed",
    response: new Response(body, { status: answer.res.status, headers }),
  };
}

const utf8 = new TextDecoder();

const NOT_JSON = Symbol("not JSON");

function parsed(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return NOT_JSON;
  }
}

/**
 * The upstream body. Without a body rewrite the client's bytes are kept and only the model
 * value is replaced in place. The body is written anew from what the router parsed, with the
 * model set once, when a rewrite needs the parsed body (a merge patch), or when the bytes are
 * ambiguous about the model: its key twice, or a key written with an escape (`"m\u006fdel"`).
 * Parsers differ there (some keep the first duplicate), so an edit of the bytes could leave the
 * upstream running a model no group allows. `ask` (a merge patch that asks for usage) is added
 * to the bytes' start when the body has none of its keys, else merged into the parsed body; the
 * configured rewrite comes last, so it can still take it out for an upstream that refuses it.
 */
function requestBody(
  call: InboundCall,
  model: ModelConfig,
  modelPath: KeyPath | undefined,
  value: string,
  ask: Json | undefined,
): Uint8Array | string {
  // Rewrites are written for generation requests; token counting endpoints reject extra fields.
  const rewrite = call.op === "generate" ? model.rewriteBody : undefined;
  if (!rewrite) {
    let edited = modelPath ? replaceUnambiguous(call.raw, modelPath, value) : call.raw;
    if (edited && ask)
      edited = Object.keys(ask).some((k) => Object.hasOwn(call.body, k))
        ? undefined
        : withLeadingMembers(edited, ask);
    if (edited) return edited;
  }
  let body = modelPath ? withValueAt(call.body, modelPath, value) : call.body;
  if (ask) body = mergePatch(body, ask) as Json;
  return JSON.stringify(rewrite ? mergePatch(body, rewrite) : body);
}

/** A copy of `body` with `value` at `path` (object keys), copying only the objects on the way. */
function withValueAt(
  body: Record<string, unknown>,
  path: KeyPath,
  value: string,
): Record<string, unknown> {
  const [key, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) return { ...body, [key]: value };
  const inner = body[key];
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) return body;
  return { ...body, [key]: withValueAt(inner as Record<string, unknown>, rest, value) };
}
