import { expect } from "bun:test";
import { routerError, type IRResponse } from "../../../src/ir";
import {
  recogniseFormat,
  type CallRoute,
  type Format,
  type FormatId,
  type Operation,
} from "../../../src/wire";
import { TOKEN } from "../../e2e/harness";
import type { Scripted } from "./bytes-upstream";
import { expectErrorAnswer } from "./error-body";
import type { ContractTest } from "./format.contract";
import { ask, type ContractRouter } from "./router";
import { asSent, clientBody, context, encodeStream, RESPONSES, STREAMS } from "./samples";
import type { FormatSpec } from "./spec";
import { arrayFrames, decodeFrames, digest, rawEvents, sseFrames } from "./wire-text";

const ANSWER: IRResponse = RESPONSES["text, stopped"]!;
const STREAM = STREAMS["text, stopped"]!;
const SAID = "Hello, world";

/** The group of the calls of this format's own clients (passthrough). */
export const passthroughGroup = (format: Format) => `${format.id}-pt`;

/** The format through a running router, over real sockets: routes, listings, request checks. */
export function httpContract(
  format: Format,
  spec: FormatSpec,
  running: () => ContractRouter,
  test: ContractTest,
): void {
  const id = format.id as FormatId;
  const group = passthroughGroup(format);

  /** Requests the upstream got during `run`, as op and stream flag; none may have been refused. */
  async function upstreamCalls(run: () => Promise<void>) {
    const before = running().upstream.received.length;
    await run();
    expect(running().upstream.refused).toEqual([]);
    return running()
      .upstream.received.slice(before)
      .map(({ op, stream }) => ({ op, stream }));
  }

  const titles = spec.routes("{group}");
  spec.routes(group).forEach((path, i) => {
    const url = new URL(path, "http://router");
    const route = format.routes.match(url.pathname, url) as CallRoute;
    // A route that leaves streaming to the body is called without it here.
    const stream = route.stream ?? false;
    test(`routes: POST ${titles[i]} reaches the upstream`, async () => {
      let answer = "";
      const calls = await upstreamCalls(async () => {
        running().upstream.reply(script(format, route.op, stream, route.sse === false));
        const res = await ask(running(), id, path, { body: clientBody(format, group, stream) });
        answer = await res.text();
        expect({ status: res.status, answer }).toEqual({ status: 200, answer });
      });
      expect(calls).toEqual([{ op: route.op, stream }]);
      expect(said(format, route.op, stream, answer)).toEqual(route.op === "countTokens" ? 7 : SAID);
    });

    test(`routes: GET ${titles[i]} is a 405 in the format's error shape`, async () => {
      const calls = await upstreamCalls(async () => {
        const res = await ask(running(), id, path, { method: "GET" });
        const like = routerError("invalid_request", "", { status: 405 });
        expect(await expectErrorAnswer(format, res, like, 405)).toContain(url.pathname);
      });
      expect(calls).toEqual([]);
    });
  });

  test("routes: an unknown operation under the format's paths is a 404 in its error shape", async () => {
    const path = spec.unknownPath(group);
    const res = await ask(running(), id, path, { body: clientBody(format, group, false) });
    const message = await expectErrorAnswer(format, res, routerError("not_found", ""), 404);
    expect(message).toContain(new URL(path, "http://router").pathname);
  });

  test("model listing: GET /v1/models from this format's clients is in its shape", async () => {
    const headers = new Headers(spec.clientHeaders(TOKEN));
    expect(recogniseFormat("/v1/models", headers).id).toBe(spec.listsAs ?? id);
    const res = await ask(running(), id, "/v1/models", { method: "GET" });
    expect(res.status).toBe(200);
    const groups = [...running().harness.runtime.config.groups.values()];
    expect(await res.json()).toEqual(asSent(format.listModels(groups, new URL(res.url))));
  });

  test("model listing: GET /v1/models/{group} is the group in its shape, or a 404", async () => {
    const res = await ask(running(), id, `/v1/models/${group}`, { method: "GET" });
    expect(await res.json()).toEqual(asSent(format.getModel({ name: group })));
    const missing = await ask(running(), id, "/v1/models/no-such-group", { method: "GET" });
    const like = routerError("model_not_found", "");
    expect(await expectErrorAnswer(format, missing, like, 404)).toContain("no-such-group");
  });

  for (const field of spec.required) {
    test(`peekRequest: a call without ${field} is a 400 naming it, the upstream untouched`, async () => {
      const { [field]: _, ...body } = clientBody(format, group, false);
      const calls = await upstreamCalls(async () => {
        const res = await ask(running(), id, spec.call(group, false), { body });
        const like = routerError("invalid_request", "");
        expect(await expectErrorAnswer(format, res, like, 400)).toContain(field);
      });
      expect(calls).toEqual([]);
    });
  }

  test("peekRequest: a body shaped like a router error is a model call like any other", async () => {
    const fields = { code: "rate_limit", status: 429, message: "fake" };
    const body = { ...clientBody(format, group, false), ...fields };
    let answer = "";
    const calls = await upstreamCalls(async () => {
      running().upstream.reply(script(format, "generate", false, false));
      const res = await ask(running(), id, spec.call(group, false), { body });
      answer = await res.text();
      expect({ status: res.status, answer }).toEqual({ status: 200, answer });
    });
    expect(calls).toEqual([{ op: "generate", stream: false }]);
    expect(said(format, "generate", false, answer)).toBe(SAID);
  });
}

/** What an upstream of this format answers a call with: the contract's answer, as its codec writes it. */
function script(format: Format, op: Operation, stream: boolean, jsonArray: boolean): Scripted {
  if (op === "countTokens") return { chunks: [JSON.stringify(format.countTokens!.answer(7))] };
  if (!stream)
    return { chunks: [JSON.stringify(format.codec.encodeResponse(ANSWER, context(format)))] };
  const text = encodeStream(format, STREAM, { jsonArray });
  return jsonArray
    ? { chunks: [text], contentType: "application/json" }
    : { chunks: rawEvents(text) };
}

/** What an answer of this format says: the text of a generation, the count of a count. */
function said(format: Format, op: Operation, stream: boolean, answer: string): unknown {
  if (op === "countTokens") return format.countTokens!.upstreamCount(JSON.parse(answer));
  if (stream) {
    const frames = answer.trimStart().startsWith("[") ? arrayFrames(answer) : sseFrames(answer);
    const { pushed, atEnd } = decodeFrames(format, frames);
    const d = digest([...pushed, ...atEnd]);
    return d.errors.length ? d : d.text;
  }
  const res = format.codec.decodeResponse(JSON.parse(answer), context(format));
  return "parts" in res ? res.parts.map((p) => (p.type === "text" ? p.text : "")).join("") : res;
}
