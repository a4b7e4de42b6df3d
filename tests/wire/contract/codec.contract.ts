import { expect } from "bun:test";
import {
  isRouterError,
  routerError,
  RouterError,
  statusFor,
  type ErrorCode,
  type ErrorSubtype,
  type IRRequest,
} from "../../../src/ir";
import type { Format } from "../../../src/wire";
import { expectErrorAnswer, expectErrorBody } from "./error-body";
import type { ContractTest } from "./format.contract";
import {
  asSent,
  clientBody,
  context,
  encodeStream,
  minimalRequest,
  RESPONSES,
  RICH_REQUEST,
  STREAMS,
  upstreamModel,
} from "./samples";
import type { FormatSpec } from "./spec";
import { decodeFrames, digest, ruleSaysWhole, sseFrames } from "./wire-text";

/** Every error code, so a new one is rendered by every format before it compiles. */
const CODES = Object.keys({
  invalid_request: 0,
  authentication: 0,
  permission: 0,
  not_found: 0,
  model_not_found: 0,
  request_too_large: 0,
  rate_limit: 0,
  overloaded: 0,
  upstream_error: 0,
  bad_gateway: 0,
  timeout: 0,
  not_implemented: 0,
  internal: 0,
} satisfies Record<ErrorCode, 0>) as ErrorCode[];

/** What a client retries on: a retryable error must stay one when read back, and the reverse. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** The codec and the format object, in process: round trips, errors, listing, peeking. */
export function codecContract(format: Format, spec: FormatSpec, test: ContractTest): void {
  const { codec } = format;

  const requests: Record<string, IRRequest> = {
    "a conversation with a tool call and its result": RICH_REQUEST,
    "a minimal request": minimalRequest(false),
    "a minimal streamed request": minimalRequest(true),
  };
  for (const [name, ir] of Object.entries(requests)) {
    test(`request round trip: ${name}`, () => {
      const ctx = context(format);
      const said = structuredClone(ir) as IRRequest & Record<string, unknown>;
      for (const field of spec.unexpressed ?? []) delete said[field];
      const encoded = codec.encodeRequest(said, {
        ...ctx,
        target: upstreamModel("up"),
      });
      if (isRouterError(encoded)) throw encoded;
      expect(ctx.warnings.list).toEqual([]);
      // Whatever the encoder writes, the format's own request check accepts.
      expect(isRouterError(format.peekRequest(asSent(encoded), "generate"))).toBe(false);
      const decoded = codec.decodeRequest(asSent(encoded), context(format));
      if (isRouterError(decoded)) throw decoded;
      // Not compared: the model (the upstream's now), the stream flag (the call's, which may say it
      // in its URL: the peekRequest tests check it) and the usage request (only OpenAI has one).
      const { model: _, stream: __, streamUsage: ___, ...sent } = said;
      expect(decoded).toMatchObject(sent);
    });
  }

  for (const [name, res] of Object.entries(RESPONSES)) {
    test(`response round trip: ${name}`, () => {
      const encoded = codec.encodeResponse(structuredClone(res), context(format));
      const decoded = codec.decodeResponse(asSent(encoded), context(format));
      if (isRouterError(decoded)) throw decoded;
      const { model, parts, finish, usage } = res;
      expect(decoded).toMatchObject({ model, parts, finish: { reason: finish.reason }, usage });
    });
  }

  for (const [name, events] of Object.entries(STREAMS)) {
    test(`stream round trip: ${name}`, () => {
      const text = encodeStream(format, events);
      const { pushed, atEnd } = decodeFrames(format, sseFrames(text));
      // Some formats' finish is only sure at the close (Gemini): the decoder gives it at the end.
      expect(digest([...pushed, ...atEnd])).toEqual(digest(events));
      expect(ruleSaysWhole(format, text)).toBe(true);
    });
  }

  for (const code of CODES) {
    test(`errors: ${code} renders as the format's error answer and stream event`, async () => {
      const err = routerError(code, `contract says ${code}`, { retryAfter: "7" });
      const res = format.encodeError(err);
      const status = statusFor(err, spec.statusQuirks);
      expect(res.headers.get("retry-after")).toBe("7");
      const text = await res.clone().text();
      expect(await expectErrorAnswer(format, res, err, status)).toBe(err.message);

      // The format's own reading of it (as from an upstream of this format) keeps its meaning.
      const back = codec.decodeError(status, text, new Headers({ "retry-after": "7" }));
      expect(back).toBeInstanceOf(RouterError);
      expect(back.message).toContain(err.message);
      expect(retryable(back.status)).toBe(retryable(status));
      if (code === "rate_limit" || code === "overloaded") expect(back.retryAfter).toBe("7");

      const event = format.streamError(err);
      expect(event).toMatch(/\r?\n\r?\n$/);
      const frames = sseFrames(event);
      expect(frames).toHaveLength(1);
      expect(JSON.parse(frames[0]!.data)).toEqual(
        spec.streamErrorData?.(err) ?? asSent(format.errorBody(err)),
      );
      const { pushed } = decodeFrames(format, frames);
      expect(pushed.map((e) => e.type)).toEqual(["error"]);
      expect(pushed[0]!.type === "error" && pushed[0]!.error.message).toContain(err.message);
    });
  }

  test("errors: no retry-after header without a retry time; an exhausted quota keeps its status", async () => {
    const res = format.encodeError(routerError("rate_limit", "slow down"));
    expect(res.headers.has("retry-after")).toBe(false);
    const quota = routerError("rate_limit", "no credit", { subtype: "insufficient_quota" });
    const answer = format.encodeError(quota);
    expect(answer.status).toBe(spec.statusQuirks?.insufficientQuota ?? 429);
    expectErrorBody(format, await answer.json(), quota);
  });

  test("errors: a key's spent budget is a 429 with its retry time in every format, never a billing error", async () => {
    const err = routerError("rate_limit", 'key "team-a" has spent its budget', {
      subtype: "budget_exceeded",
      retryAfter: "3600",
    });
    const res = format.encodeError(err);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3600");
    const text = await res.text();
    expect(text).toContain('key \\"team-a\\" has spent its budget');
    expect(text).not.toContain("billing_error");
    const back = codec.decodeError(res.status, text, res.headers);
    expect(back.code).toBe("rate_limit");
  });

  // A spent key budget is the router's own refusal, never an upstream's: nothing decodes it back.
  const SUBTYPES: Record<Exclude<ErrorSubtype, "budget_exceeded">, ErrorCode> = {
    insufficient_quota: "rate_limit",
    context_length_exceeded: "invalid_request",
  };
  for (const [subtype, code] of Object.entries(SUBTYPES) as [ErrorSubtype, ErrorCode][]) {
    test(`errors: ${subtype} is still one when the format reads its own answer and event`, async () => {
      // Clients act on these (stop retrying, compact the context): the meaning must be on the wire.
      const err = routerError(code, `contract says ${subtype}`, { subtype });
      const res = format.encodeError(err);
      const back = codec.decodeError(res.status, await res.text(), res.headers);
      expect({ code: back.code, subtype: back.subtype }).toEqual({ code, subtype });
      const { pushed } = decodeFrames(format, sseFrames(format.streamError(err)));
      const event = pushed.find((e) => e.type === "error");
      expect(event?.type === "error" && event.error.subtype).toBe(subtype);
    });
  }

  test("model listing: listModels holds getModel of each group, in order", () => {
    const groups = [{ name: "alpha" }, { name: "beta/2" }];
    const url = new URL("http://router/v1/models");
    const arrays = (listing: unknown) =>
      Object.values(listing as object).filter((v) => Array.isArray(v));
    expect(arrays(asSent(format.listModels(groups, url)))).toEqual([
      asSent(groups.map(format.getModel)),
    ]);
    expect(arrays(format.listModels([], url))).toEqual([[]]);
    for (const g of groups) expect(JSON.stringify(format.getModel(g))).toContain(g.name);
  });

  test("routes: every declared path is a model call of this format, the unknown one is not", () => {
    const ops = spec.routes("g").map((path) => [path, opAt(format, path)]);
    expect(ops.filter(([, op]) => op === undefined)).toEqual([]);
    if (ops.some(([, op]) => op === "countTokens")) expect(format.countTokens).toBeDefined();
    expect(opAt(format, spec.unknownPath("g"))).toBeUndefined();
  });

  if (format.countTokens) {
    const counting = format.countTokens;
    test("token counting: the answer this format's clients get reads back as its count", () => {
      expect(counting.upstreamCount(asSent(counting.answer(1234)))).toBe(1234);
    });
  }

  for (const stream of [false, true]) {
    test(`peekRequest: a minimal ${stream ? "streamed " : ""}call gives its group and stream flag`, () => {
      expect(peek(format, spec, clientBody(format, "grp", stream), stream)).toEqual({
        group: "grp",
        stream,
      });
    });
  }

  for (const field of spec.required) {
    test(`peekRequest: a body without ${field} is a 400 naming it`, () => {
      const { [field]: _, ...body } = clientBody(format, "grp", false);
      const refused = format.peekRequest(body, "generate");
      expect(refused).toBeInstanceOf(RouterError);
      expect(refused).toMatchObject({ code: "invalid_request", status: 400 });
      expect(isRouterError(refused) && refused.message).toContain(field);
    });
  }

  test("peekRequest: a body shaped like a router error is a request like any other", () => {
    const body = {
      ...clientBody(format, "grp", false),
      code: "rate_limit",
      status: 429,
      message: "x",
    };
    expect(peek(format, spec, body, false)).toEqual({ group: "grp", stream: false });
  });
}

/** The group and stream flag the router reads from a call of this format (route, then body). */
function peek(format: Format, spec: FormatSpec, body: Record<string, unknown>, stream: boolean) {
  const url = new URL(spec.call("grp", stream), "http://router");
  const route = format.routes.match(url.pathname, url);
  if (!route || route === "unknown") throw new Error(`${url.pathname} is no route of ${format.id}`);
  const peeked = format.peekRequest(body, route.op);
  if (isRouterError(peeked)) return peeked;
  return { group: route.group ?? peeked.group, stream: route.stream ?? peeked.stream };
}

/** The operation a path is a call of, for this format; undefined when it is none. */
function opAt(format: Format, path: string) {
  const url = new URL(path, "http://router");
  const route = format.routes.match(url.pathname, url);
  return route && route !== "unknown" ? route.op : undefined;
}
