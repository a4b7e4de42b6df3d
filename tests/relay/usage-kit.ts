import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { routerError, type Usage } from "../../src/ir";
import { byteTranscoder, type ByteTranscoder } from "../../src/relay/byte-transcoder";
import type { Verdict } from "../../src/relay/pump";
import { Alone, Writes } from "../../src/relay/writes";
import { codecContext, FORMATS, type FormatId } from "../../src/wire";
import { SseFramer } from "../../src/wire/sse/frames";

/** Helpers of the passthrough usage tests: the recorded fixtures, and both paths over their bytes. */

const FIXTURES = join(import.meta.dir, "../fixtures");
const GROUP = "usage-group";

export interface Fixture {
  format: FormatId;
  /** Relative to tests/fixtures. */
  file: string;
  bytes: Uint8Array;
}

const FOLDERS: [string, FormatId][] = [
  ["openai", "openai"],
  ["openai-compatible", "openai"],
  ["anthropic", "anthropic"],
  ["gemini", "gemini"],
  ["responses", "responses"],
];

function fixtures(suffix: string, skip: (name: string) => boolean = () => false): Fixture[] {
  return FOLDERS.flatMap(([folder, format]) =>
    readdirSync(join(FIXTURES, folder))
      .filter((name) => name.endsWith(suffix) && !skip(name))
      .map((name) => ({
        format,
        file: `${folder}/${name}`,
        bytes: new Uint8Array(readFileSync(join(FIXTURES, folder, name))),
      })),
  );
}

/** Every recorded SSE stream, by the format that speaks it. */
export const SSE_FIXTURES = fixtures(".sse");
/** Gemini's streamed JSON arrays (no `alt=sse`). */
export const ARRAY_FIXTURES = fixtures(".array.json");
/** Whole answers (not requests, errors or arrays). */
export const JSON_FIXTURES = fixtures(
  ".json",
  (name) => name.endsWith(".request.json") || name.endsWith(".array.json") || /error/.test(name),
);

/**
 * Answers that failed after the upstream stated what they spent: conversion ends them at the
 * error and reports no usage, passthrough reports the tokens the upstream says it spent.
 */
export const SPENT_ON_FAILURE: Record<string, Usage> = {
  // OpenRouter's error chunk carries the usage of what was generated before it.
  "openai-compatible/openrouter-length-midstream-error.sse": {
    input: 43,
    cacheRead: 0,
    cacheWrite: 0,
    output: 10,
    reasoning: 11,
  },
  // A failed response (`status: "failed"`, conversion refuses it) whose usage is null: zeros.
  "responses/failed.json": { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
};

/** A passthrough stream's transcoder for a client of `format`, reading usage. */
export function usageTranscoder(
  format: FormatId,
  opts: { sse?: boolean; dropExtra?: boolean; usage?: boolean } = {},
): ByteTranscoder {
  const f = FORMATS[format];
  const sse = opts.sse ?? true;
  return byteTranscoder({
    call: {
      format,
      op: "generate",
      group: GROUP,
      stream: true,
      sse,
      body: {},
      raw: new Uint8Array(0),
      headers: new Headers(),
    },
    format: f,
    sse,
    upstream: format,
    broken: () => routerError("bad_gateway", "the stream broke"),
    usage: opts.usage === false ? undefined : { reading: f.usage, dropExtra: !!opts.dropExtra },
  });
}

/** Drives a transcoder as the pump does (its end once the phase is "over"), collecting what the client gets. */
export function runBytes(
  t: ByteTranscoder,
  chunks: Iterable<Uint8Array>,
): { out: Buffer; error: string; verdict: Verdict; usage: Usage | undefined } {
  const w = new Writes();
  const parts: Buffer[] = [];
  let error = "";
  // The in-stream error of a broken stream apart: it names a random id.
  const flush = () => {
    for (const x of w.list) {
      if (x instanceof Alone) error += String(x.data);
      else parts.push(Buffer.from(x));
    }
    w.clear();
  };
  let verdict: Verdict | undefined;
  for (const c of chunks) {
    t.push(c, w);
    flush();
    if (t.phase() === "over") {
      verdict = t.end(false, w);
      break;
    }
  }
  verdict ??= t.end(false, w);
  flush();
  return { out: Buffer.concat(parts), error, verdict, usage: t.usage() };
}

/**
 * The usage conversion reports for the same upstream SSE bytes: the format's stream decoder over
 * the router's framing, and the last usage event, as convert.ts's `withUsage` reports it.
 */
export function convertedUsage(format: FormatId, sse: string): Usage | undefined {
  const decoder = FORMATS[format].codec.createStreamDecoder(codecContext(GROUP, FORMATS[format]));
  const framer = new SseFramer();
  let last: Usage | undefined;
  const take = (events: { type: string; usage?: Usage }[]) => {
    for (const e of events) if (e.type === "usage") last = e.usage;
  };
  for (const f of framer.push(sse)) take(decoder.push(f));
  if (decoder.phase?.() !== "over") for (const f of framer.end()) take(decoder.push(f));
  take(decoder.end());
  return last;
}

/** A Gemini streamed JSON array as the SSE stream conversion asks for instead. */
export function arrayAsSse(array: string): string {
  return (JSON.parse(array) as unknown[]).map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join("");
}

/** `bytes` cut at the given offsets. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => Math.min(bytes.length, Math.max(0, c))))].sort(
    (a, b) => a - b,
  );
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  return out;
}
