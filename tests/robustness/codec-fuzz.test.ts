import { describe, expect, test } from "bun:test";
import { FORMATS as REGISTRY, codecContext } from "../../src/wire";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { ApiType } from "../../src/config/types";
import {
  isRouterError,
  type IRRequest,
  type IRResponse,
  type RouterError,
  type StreamEvent,
} from "../../src/ir";
import type { StreamFrame } from "../../src/wire/codec";
import { RAW_TAIL, SseFramer } from "../../src/wire/sse/frames";
import { upstreamModel } from "../helpers";
import { errorProblems, eventProblems, requestProblems, responseProblems, show } from "./ir-shape";
import {
  DELETE,
  fieldVariants,
  FORMATS,
  FUZZ_SEED,
  hostileSchemas,
  mutate,
  mutatedArb,
  mutationArb,
  nastyValue,
  otherType,
  randomBodyArb,
  seedsFor,
  TOP_KEYS,
  withToolSchemas,
  type Json,
  type Mutation,
} from "./kit";

/**
 * Thousands of random and mutated bodies straight into every codec entry point the glue calls
 * (decodeRequest → encodeRequest for every target, decodeResponse → encodeResponse, stream
 * decoder → stream encoder, decodeError → encodeError). A returned RouterError is the contract
 * for bad input. Failures: a throw; an "internal" error (a codec's own catch-all for its bugs,
 * a 500 to the client); a decoded value that breaks the IR's types (ir-shape.ts). They are
 * collected, grouped by message with the shortest input, so one run names every kind found.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
const FIXTURES = join(import.meta.dir, "..", "fixtures");

/** Replacements tried in every field: each JSON type, edge numbers, prototype names. */
const WRONG: Json[] = [
  null,
  true,
  -1,
  1.5,
  1e308,
  "",
  "constructor",
  "__proto__",
  "toString",
  [],
  {},
  [null],
  { type: "constructor" },
];

interface Finding {
  where: string;
  problem: string;
  input: string;
}

/** Collects failures; keeps the shortest input per (where, problem). */
class Findings {
  private readonly byKey = new Map<string, Finding>();
  add(where: string, problem: string, input: unknown): void {
    const text = typeof input === "string" ? input : show(input);
    const key = `${where} | ${problem.replace(/\d+/g, "N").slice(0, 120)}`;
    const old = this.byKey.get(key);
    if (!old || text.length < old.input.length)
      this.byKey.set(key, { where, problem: problem.slice(0, 400), input: text.slice(0, 400) });
  }
  list(): Finding[] {
    return [...this.byKey.values()];
  }
}

const problemOf = (e: unknown) =>
  e instanceof Error
    ? `${e.name}: ${e.message} @ ${
        (e.stack ?? "")
          .split("\n")
          .find((l) => l.includes("/src/"))
          ?.trim() ?? "?"
      }`
    : `threw ${String(e)}`;

/** Token limits on every target model, as a config may set them. */
const LIMITS = { defaultMaxTokens: 4096, maxOutputTokens: 8192 };

/**
 * What the glue does with a client body: decode, check the IR, then encode for each other
 * upstream format and serialise. `label` names the input in findings (defaults to the body).
 */
function exerciseRequest(
  client: ApiType,
  body: Json,
  found: Findings,
  label?: string,
): "ok" | "refused" {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "refused";
  const input = label ?? body;
  let ir: IRRequest | RouterError;
  try {
    ir = REGISTRY[client].codec.decodeRequest(
      body,
      codecContext("group", REGISTRY[client], () => 0.5),
    );
  } catch (e) {
    found.add(`${client}.decodeRequest`, problemOf(e), input);
    return "refused";
  }
  if (isRouterError(ir)) {
    if (ir.status < 400 || ir.status >= 500)
      found.add(
        `${client}.decodeRequest`,
        `returned ${ir.status} ${ir.code}: ${ir.message} (cause: ${problemOf(ir.cause)})`,
        input,
      );
    return "refused";
  }
  const problems = requestProblems(ir);
  if (problems.length) {
    found.add(
      `${client}.decodeRequest`,
      `accepted, but the IR is ill-typed: ${problems.join("; ")}`,
      input,
    );
    return "refused";
  }
  for (const to of FORMATS) {
    if (to === client) continue; // passthrough never encodes
    const ctx = codecContext("group", REGISTRY[to], () => 0.5);
    const again = REGISTRY[client].codec.decodeRequest(body, ctx) as IRRequest; // fresh IR: encoders may annotate it
    try {
      const out = REGISTRY[to].codec.encodeRequest(again, {
        ...ctx,
        target: upstreamModel(to, LIMITS),
      });
      if (isRouterError(out)) {
        if (out.status < 400 || out.status >= 500)
          found.add(
            `${client}→${to} encodeRequest`,
            `returned ${out.status} ${out.code}: ${out.message}`,
            input,
          );
      } else JSON.stringify(out);
    } catch (e) {
      found.add(`${client}→${to} encodeRequest`, problemOf(e), input);
    }
  }
  return "ok";
}

// ------------------------------------------------------------------ fixtures as seeds

function fixtureFiles(dir: string, suffix: string, exclude: RegExp = /^$/): string[] {
  return readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith(suffix) && !exclude.test(f))
    .map((f) => join(FIXTURES, dir, f));
}

const FIXTURE_DIRS: Record<ApiType, string[]> = {
  openai: ["openai", "openai-compatible"],
  anthropic: ["anthropic"],
  gemini: ["gemini"],
  responses: ["responses"],
};
const readJson = (f: string) => JSON.parse(readFileSync(f, "utf8")) as Json;

const responseSeeds = (format: ApiType): Json[] =>
  FIXTURE_DIRS[format]
    .flatMap((d) => fixtureFiles(d, ".json", /\.(request|array)\.json$/))
    .map(readJson);
const requestFixtures = (format: ApiType): Json[] =>
  FIXTURE_DIRS[format].flatMap((d) => fixtureFiles(d, ".request.json")).map(readJson);

function streamSeeds(format: ApiType): StreamFrame[][] {
  const sse = FIXTURE_DIRS[format]
    .flatMap((d) => fixtureFiles(d, ".sse"))
    .map((f) => {
      const framer = new SseFramer();
      return [...framer.push(readFileSync(f, "utf8")), ...framer.end()];
    });
  const arrays =
    format === "gemini"
      ? fixtureFiles("gemini", ".array.json").map((f) =>
          (readJson(f) as Json[]).map((el) => ({ data: JSON.stringify(el) })),
        )
      : [];
  return [...sse, ...arrays];
}

// ------------------------------------------------------------------ stream frame arbitraries

const EVENT_NAMES = [
  undefined,
  "message_start",
  "content_block_start",
  "content_block_delta",
  "content_block_stop",
  "message_delta",
  "message_stop",
  "ping",
  "error",
  RAW_TAIL,
  "x",
];

/** A frame made up from nothing: random event name, random or JSON-ish data. */
const randomFrameArb: fc.Arbitrary<StreamFrame> = fc
  .record({
    event: fc.constantFrom(...EVENT_NAMES),
    data: fc.oneof(
      fc.constantFrom(
        "[DONE]",
        "",
        " ",
        "{",
        "null",
        "[]",
        "[{}]",
        '{"error":{}}',
        '{"error":"x"}',
        '{"type":"error"}',
        '{"candidates":[{}]}',
        '{"choices":[{"delta":{}}]}',
        '{"type":"constructor"}',
        "data: x",
      ),
      nastyValue.map((v) => JSON.stringify(v)),
      fc.string({ unit: "binary", maxLength: 30 }),
    ),
  })
  .map((f) => (f.event === undefined ? { data: f.data } : { event: f.event, data: f.data }));

type Edit = {
  at: number;
  kind: "mutate" | "drop" | "dup" | "insert" | "cut" | "rename";
  muts: Mutation[];
  frame: StreamFrame;
};

const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Edit["kind"]>(
    "mutate",
    "mutate",
    "mutate",
    "drop",
    "dup",
    "insert",
    "cut",
    "rename",
  ),
  muts: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
  frame: randomFrameArb,
});

function editFrames(frames: StreamFrame[], edits: Edit[]): StreamFrame[] {
  const out = frames.map((f) => ({ ...f }));
  for (const e of edits) {
    const i = out.length ? e.at % out.length : 0;
    const f = out[i];
    if (e.kind === "insert") out.splice(i, 0, e.frame);
    if (!f) continue;
    if (e.kind === "drop") out.splice(i, 1);
    else if (e.kind === "dup") out.splice(i, 0, { ...f });
    else if (e.kind === "cut")
      out[i] = { ...f, data: f.data.slice(0, Math.floor(f.data.length / 2)) };
    else if (e.kind === "rename")
      out[i] =
        e.frame.event === undefined ? { data: f.data } : { event: e.frame.event, data: f.data };
    else if (e.kind === "mutate") {
      let parsed: Json;
      try {
        parsed = JSON.parse(f.data) as Json;
      } catch {
        continue;
      }
      out[i] = { ...f, data: JSON.stringify(mutate(parsed, e.muts)) };
    }
  }
  return out;
}

/** A client request of each format to give the stream encoders (they read the stream flags from it). */
function clientRequest(client: ApiType): IRRequest {
  const ir = REGISTRY[client].codec.decodeRequest(
    seedsFor(client, "group")[2] as Record<string, unknown>,
    codecContext("group", REGISTRY[client]),
  );
  if (isRouterError(ir)) throw new Error(`seed does not decode: ${ir.message}`);
  return { ...ir, stream: true, streamUsage: true };
}

// ------------------------------------------------------------------ tests

describe("request decoders", () => {
  for (const format of FORMATS) {
    test(`${format}: the seeds decode to well-typed IR and encode for every target (sanity)`, () => {
      const found = new Findings();
      for (const seed of [...seedsFor(format, "group"), ...requestFixtures(format)] as Json[])
        expect(exerciseRequest(format, seed, found)).toBe("ok");
      expect(found.list()).toEqual([]);
    });

    test(`${format}: every field of every seed, deleted or replaced by each wrong-typed value, is decoded or refused cleanly`, () => {
      const found = new Findings();
      let cases = 0;
      for (const seed of seedsFor(format, "group") as Json[]) {
        for (const v of fieldVariants(seed, (cur) => [DELETE, otherType(cur), ...WRONG])) {
          cases++;
          exerciseRequest(
            format,
            JSON.parse(JSON.stringify(v.body)) as Json,
            found,
            `seed ${show(seed).slice(0, 40)}… with ${v.path} = ${v.label}`,
          );
        }
      }
      expect(cases).toBeGreaterThan(2000);
      expect(found.list()).toEqual([]);
    });

    test(`${format}: ${RUNS} mutated and ${Math.round(RUNS / 2)} random bodies decode or are refused cleanly`, () => {
      const seeds = [...seedsFor(format, "group"), ...requestFixtures(format)] as Json[];
      const found = new Findings();
      const mutated = fc.sample(mutatedArb(seeds), { numRuns: RUNS, seed: FUZZ_SEED });
      const random = fc.sample(randomBodyArb(TOP_KEYS[format]), {
        numRuns: Math.round(RUNS / 2),
        seed: FUZZ_SEED + 1,
      });
      let accepted = 0;
      for (const body of [...mutated, ...random])
        if (exerciseRequest(format, JSON.parse(JSON.stringify(body)) as Json, found) === "ok")
          accepted++;
      // The mutations must leave a good share decodable, or the encoders are never reached.
      expect(accepted).toBeGreaterThan(RUNS / 10);
      expect(found.list()).toEqual([]);
    });
  }
});

describe("self-referencing schemas and escaped JSON pointers", () => {
  for (const format of FORMATS) {
    test(`${format}: each hostile schema, all of them at once, and ${Math.round(RUNS / 10)} mutations convert or are refused with a 400, each within a second`, () => {
      const schemas = hostileSchemas();
      const seeds = [
        ...schemas.map((s) => withToolSchemas(format, "group", [s])),
        withToolSchemas(format, "group", schemas),
      ] as Json[];
      const found = new Findings();
      const bodies = [
        ...seeds,
        ...fc.sample(mutatedArb(seeds), { numRuns: Math.round(RUNS / 10), seed: FUZZ_SEED + 7 }),
      ];
      let slowest = 0;
      for (const body of bodies) {
        const started = performance.now();
        exerciseRequest(format, JSON.parse(JSON.stringify(body)) as Json, found);
        slowest = Math.max(slowest, performance.now() - started);
      }
      expect(found.list()).toEqual([]);
      expect(slowest).toBeLessThan(1000);
    });
  }
});

describe("response decoders", () => {
  for (const format of FORMATS) {
    test(`${format}: ${RUNS} mutated and random upstream answers decode to a value, and re-encode for every client`, () => {
      const seeds = responseSeeds(format);
      expect(seeds.length).toBeGreaterThan(2);
      const found = new Findings();
      const bodies = [
        ...fc.sample(mutatedArb(seeds), { numRuns: RUNS, seed: FUZZ_SEED + 2 }),
        ...fc.sample(fc.jsonValue({ maxDepth: 5 }) as fc.Arbitrary<Json>, {
          numRuns: Math.round(RUNS / 4),
          seed: FUZZ_SEED + 3,
        }),
      ];
      for (const raw of [...seeds, ...bodies]) {
        const body = JSON.parse(JSON.stringify(raw)) as Json;
        for (const client of FORMATS) {
          if (client === format) continue;
          const ctx = codecContext("group", REGISTRY[format], () => 0.5);
          let res: IRResponse | RouterError;
          try {
            res = REGISTRY[format].codec.decodeResponse(body, ctx);
          } catch (e) {
            found.add(`${format}.decodeResponse`, problemOf(e), body);
            continue;
          }
          if (isRouterError(res)) {
            const problems = errorProblems(res);
            if (res.code === "internal")
              problems.push(`internal error: ${res.message} (cause: ${problemOf(res.cause)})`);
            if (problems.length) found.add(`${format}.decodeResponse`, problems.join("; "), body);
            continue;
          }
          const problems = responseProblems(res);
          if (problems.length) {
            found.add(`${format}.decodeResponse`, `ill-typed IR: ${problems.join("; ")}`, body);
            continue;
          }
          try {
            JSON.stringify(REGISTRY[client].codec.encodeResponse(res, ctx));
          } catch (e) {
            found.add(`${format}.decodeResponse→${client}.encodeResponse`, problemOf(e), body);
          }
        }
      }
      expect(found.list()).toEqual([]);
    });

    test(`${format}: random error bodies and statuses decode to a RouterError every client format can render`, async () => {
      const found = new Findings();
      const cases = fc.sample(
        fc.record({
          status: fc.oneof(
            fc.constantFrom(400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529),
            fc.integer({ min: 400, max: 599 }),
          ),
          body: fc.oneof(
            fc.string({ unit: "binary", maxLength: 60 }),
            mutatedArb(responseSeeds(format)).map((j) => JSON.stringify(j)),
            nastyValue.map((v) => JSON.stringify({ error: v })),
            fc
              .record({
                type: nastyValue,
                message: nastyValue,
                status: nastyValue,
                code: nastyValue,
              })
              .map((e) => JSON.stringify({ type: "error", error: e })),
            fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
          ),
          retryAfter: fc.option(
            fc.constantFrom("1", "-1", "abc", "Wed, 21 Oct 2015 07:28:00 GMT", "1e309"),
            { nil: undefined },
          ),
        }),
        { numRuns: Math.round(RUNS / 2), seed: FUZZ_SEED + 4 },
      );
      for (const c of cases) {
        try {
          const headers = new Headers(
            c.retryAfter === undefined ? {} : { "retry-after": c.retryAfter },
          );
          const err = REGISTRY[format].codec.decodeError(c.status, c.body, headers);
          const problems = isRouterError(err)
            ? errorProblems(err)
            : [`returned a non-error ${show(err)}`];
          if (problems.length) found.add(`${format}.decodeError`, problems.join("; "), c);
          else for (const client of FORMATS) await REGISTRY[client].encodeError(err).text();
        } catch (e) {
          found.add(`${format}.decodeError→encodeError`, problemOf(e), c);
        }
      }
      expect(found.list()).toEqual([]);
    });
  }
});

describe("stream decoders", () => {
  for (const format of FORMATS) {
    test(`${format}: ${RUNS} mutated and random frame sequences never throw, and every client encoder takes the events`, () => {
      const seeds = streamSeeds(format);
      expect(seeds.length).toBeGreaterThan(2);
      const found = new Findings();
      const mutated = fc
        .sample(
          fc.tuple(
            fc.nat({ max: seeds.length - 1 }),
            fc.array(editArb, { minLength: 1, maxLength: 6 }),
          ),
          { numRuns: RUNS, seed: FUZZ_SEED + 5 },
        )
        .map(([i, edits]) => editFrames(seeds[i]!, edits));
      const random = fc.sample(fc.array(randomFrameArb, { maxLength: 12 }), {
        numRuns: Math.round(RUNS / 4),
        seed: FUZZ_SEED + 6,
      });
      const requests = Object.fromEntries(FORMATS.map((c) => [c, clientRequest(c)])) as Record<
        ApiType,
        IRRequest
      >;
      for (const frames of [...seeds, ...mutated, ...random]) {
        const ctx = codecContext("group", REGISTRY[format], () => 0.5);
        const decoder = REGISTRY[format].codec.createStreamDecoder(ctx);
        const events: StreamEvent[] = [];
        try {
          for (const f of frames) events.push(...decoder.push(f));
          events.push(...decoder.end());
        } catch (e) {
          found.add(`${format}.streamDecoder`, problemOf(e), frames);
          continue;
        }
        const problems = events.flatMap(eventProblems);
        const internal = events.find((e) => e.type === "error" && e.error.code === "internal");
        if (internal?.type === "error")
          problems.push(
            `internal error event: ${internal.error.message} (cause: ${problemOf(internal.error.cause)})`,
          );
        if (problems.length) {
          found.add(`${format}.streamDecoder`, problems.join("; "), frames);
          continue;
        }
        for (const client of FORMATS) {
          if (client === format) continue;
          for (const jsonArray of client === "gemini" ? [false, true] : [false]) {
            try {
              // As relay/codec-transcoder.ts drives it: what is held back is flushed before an error goes out.
              const encoder = REGISTRY[client].codec.createStreamEncoder(ctx, requests[client], {
                jsonArray,
              });
              for (const e of events) {
                if (e.type === "error") encoder.flush?.();
                encoder.push(e);
              }
              encoder.end();
            } catch (e) {
              found.add(
                `${format}.streamDecoder→${client}.streamEncoder${jsonArray ? "(array)" : ""}`,
                problemOf(e),
                frames,
              );
            }
          }
        }
      }
      expect(found.list()).toEqual([]);
    });
  }
});
