import { expect } from "bun:test";
import { FORMAT_IDS, FORMATS, type CallRoute, type Format, type FormatId } from "../../../src/wire";
import type { ContractTest } from "./format.contract";
import { ask, readAll, settledHealth, type ContractRouter } from "./router";
import { clientBody, context, encodeStream, minimalRequest, STREAMS } from "./samples";
import { SPECS, type FormatSpec } from "./spec";
import {
  arrayFrames,
  decodeFrames,
  digest,
  rawEvents,
  ruleSaysWhole,
  sseFrames,
} from "./wire-text";

const STREAM = STREAMS["text, stopped"]!;
const SAID = "Hello, world";

const CASES = {
  whole: "the whole stream is complete",
  cut: "a stream cut before its finish is a failure",
  unmarked: "the finish without the end event gets the end rule's verdict",
};
type StreamCase = keyof typeof CASES;
const SSE_CASES = Object.keys(CASES) as StreamCase[];
/** A streamed JSON array has no end event to leave out. */
const ARRAY_CASES: StreamCase[] = ["whole", "cut"];

/** The declared routes that stream in the format's own framing instead of SSE (Gemini's JSON array). */
function ownFramingRoutes(format: Format, spec: FormatSpec): ((group: string) => string)[] {
  return spec.routes("{group}").flatMap((_, i) => {
    const path = (group: string) => spec.routes(group)[i]!;
    const url = new URL(path("g"), "http://router");
    const route = format.routes.match(url.pathname, url) as CallRoute | undefined;
    return route?.stream && route.sse === false ? [path] : [];
  });
}

/** A client calling for a stream: by SSE, or (clients of other formats) in its own framing. */
interface Caller {
  key: string;
  client: FormatId;
  path(group: string): string;
}

/** Every way a client can stream an answer converted from this format's upstream, and passthrough's SSE. */
function callers(format: Format): Caller[] {
  return FORMAT_IDS.flatMap((client) => [
    { key: client, client, path: (group: string) => SPECS[client].call(group, true) },
    // The upstream is asked for SSE whatever the client's framing, except on passthrough.
    ...(client === format.id
      ? []
      : ownFramingRoutes(FORMATS[client], SPECS[client]).map((path, i) => ({
          key: `${client}-framing-${i}`,
          client,
          path,
        }))),
  ]);
}

const sseGroup = (format: Format, c: StreamCase, caller: Caller) =>
  `${format.id}-${c}-via-${caller.key}`;
const arrayGroup = (format: Format, c: StreamCase, route: number) =>
  `${format.id}-${c}-own-framing-${route}`;

export function streamEndGroups(format: Format, spec: FormatSpec): string[] {
  const arrays = ownFramingRoutes(format, spec);
  return [
    ...SSE_CASES.flatMap((c) => callers(format).map((caller) => sseGroup(format, c, caller))),
    ...ARRAY_CASES.flatMap((c) => arrays.map((_, i) => arrayGroup(format, c, i))),
  ];
}

/**
 * When the format's stream is whole, over real sockets: the upstream of this format sends the
 * same bytes to a client of its own format (passthrough) and to clients of every other format
 * (conversion), in every framing they stream in; each client's stream and the model's health
 * must give the end rule's verdict. Streamed in the format's own framing (not SSE), passthrough
 * is the only path, and gets the same verdict.
 */
export function streamEndContract(
  format: Format,
  spec: FormatSpec,
  running: () => ContractRouter,
  test: ContractTest,
): void {
  const id = format.id as FormatId;
  for (const c of SSE_CASES) {
    test(`stream end: ${CASES[c]}, the same for passthrough and conversion`, async () => {
      const events = sseCase(format, c, rawEvents(encodeStream(format, STREAM)));
      const whole = c === "whole" || (c === "unmarked" && format.streamEnd.closeAfterFinish);
      expect(ruleSaysWhole(format, events.join(""))).toBe(whole);
      const verdicts: Record<string, Verdict> = {};
      for (const caller of callers(format)) {
        const group = sseGroup(format, c, caller);
        const path = caller.path(group);
        verdicts[caller.key] = await verdict(running(), group, caller.client, path, {
          chunks: events,
        });
      }
      // Client of the same format: passthrough; any other: conversion. One verdict for all.
      const expected = callers(format).map((caller) => [caller.key, expectedVerdict(whole)]);
      expect(verdicts).toEqual(Object.fromEntries(expected));
    });
  }

  ownFramingRoutes(format, spec).forEach((path, i) => {
    for (const c of ARRAY_CASES) {
      test(`stream end: ${CASES[c]}, in the format's own framing (${path("{group}")})`, async () => {
        const text = arrayCase(format, c);
        const whole = c === "whole";
        expect(ruleSaysWhole(format, text)).toBe(whole);
        const group = arrayGroup(format, c, i);
        const upstream = { chunks: [text], contentType: "application/json" };
        const got = await verdict(running(), group, id, path(group), upstream);
        expect(got).toEqual(expectedVerdict(whole));
      });
    }
  });
}

interface Verdict {
  /** The client's stream carried its format's in-stream error event. */
  clientError: boolean;
  /** The model's health counted the call as a failure. */
  healthMarked: boolean;
  /** The client's stream is whole by its own format's end rule. */
  whole: boolean;
  /** The connection broke instead of ending. */
  broke: boolean;
  /** The text the client got, for a whole answer. */
  said?: string;
}

function expectedVerdict(whole: boolean): Verdict {
  const v: Verdict = { clientError: !whole, healthMarked: !whole, whole, broke: false };
  if (whole) v.said = SAID;
  return v;
}

async function verdict(
  router: ContractRouter,
  group: string,
  client: FormatId,
  path: string,
  upstream: { chunks: string[]; contentType?: string },
): Promise<Verdict> {
  const format = FORMATS[client];
  router.upstream.reply(upstream);
  const res = await ask(router, client, path, { body: clientBody(format, group, true) });
  expect(res.status).toBe(200);
  const { text, broke } = await readAll(res);
  const { pushed } = decodeFrames(format, clientFrames(text));
  const health = await settledHealth(router, group);
  expect(router.upstream.refused).toEqual([]);
  const v: Verdict = {
    clientError: pushed.some((e) => e.type === "error"),
    healthMarked: health !== "ok",
    whole: ruleSaysWhole(format, text),
    broke,
  };
  if (v.whole) v.said = digest(pushed).text;
  return v;
}

/** SSE, or a streamed JSON array; an array that never closed carries no event a client reads. */
function clientFrames(text: string) {
  if (!text.trimStart().startsWith("[")) return sseFrames(text);
  try {
    return arrayFrames(text);
  } catch {
    return [];
  }
}

/** The upstream's SSE for a case, as whole events of the format. */
function sseCase(format: Format, c: StreamCase, events: string[]): string[] {
  const rule = format.streamEnd;
  if (c === "whole") return events;
  if (c === "unmarked") return events.filter((e) => !rule.endEvent?.test(e));
  const finish = events.findIndex((e) => rule.finish.test(e));
  if (finish < 1) throw new Error(`${format.id}: no event before the finish to cut at`);
  return events.slice(0, finish);
}

/** The upstream's streamed JSON array for a case: cut, it is what was written before the finish. */
function arrayCase(format: Format, c: StreamCase): string {
  if (c === "whole") return encodeStream(format, STREAM, { jsonArray: true });
  const encoder = format.codec.createStreamEncoder(context(format), minimalRequest(true), {
    jsonArray: true,
  });
  const beforeFinish = STREAM.slice(
    0,
    STREAM.findIndex((e) => e.type === "finish"),
  );
  return beforeFinish.map((e) => encoder.push(e)).join("") + (encoder.flush?.() ?? "");
}
