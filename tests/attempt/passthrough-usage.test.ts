import { afterAll, beforeAll, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { FORMATS, type FormatId } from "../../src/wire";
import {
  ARRAY_FIXTURES,
  arrayAsSse,
  JSON_FIXTURES,
  SPENT_ON_FAILURE,
  SSE_FIXTURES,
} from "../relay/usage-kit";
import { KINDS, reportedUsage, startReplay, tryModel, type ReplayUpstream } from "./usage-kit";

/**
 * The same recorded upstream bytes through both paths of a real attempt: passthrough (the client
 * speaks the upstream's format) and conversion (it does not). Both report the same usage through
 * `onUsage`, once, before `onEnd`, which is what the request's record is written on.
 */

const OTHER: Record<FormatId, FormatId> = {
  openai: "anthropic",
  anthropic: "openai",
  gemini: "openai",
  responses: "anthropic",
};

let r: ReplayUpstream;
beforeAll(async () => {
  r = await startReplay();
});
afterAll(() => r.stop());
beforeEach(() => void (r.received.length = 0));

const SSE = "text/event-stream";
const JSON_TYPE = "application/json";

describe("streams: passthrough reports what conversion reports", () => {
  for (const f of SSE_FIXTURES) {
    test(f.file, async () => {
      r.reply({ contentType: SSE, body: f.bytes });
      const pass = await tryModel(r, f.format, f.format, { stream: true });
      r.reply({ contentType: SSE, body: f.bytes });
      const conv = await tryModel(r, OTHER[f.format], f.format, { stream: true });
      expect(pass.outcome.kind).toBe("committed");
      // Conversion refuses a stream that opens with an error (another model may answer); the
      // client of a passthrough gets it as it came, and the upstream stated no usage in it.
      const converted = reportedUsage(conv);
      const spent = SPENT_ON_FAILURE[f.file];
      if (spent) expect(converted).toBeUndefined();
      expect(reportedUsage(pass)).toEqual(spent ?? converted);
    });
  }

  for (const f of ARRAY_FIXTURES) {
    test(`${f.file}: the streamed JSON array, against conversion's SSE`, async () => {
      r.reply({ contentType: JSON_TYPE, body: f.bytes, pieces: 7 });
      const pass = await tryModel(r, "gemini", "gemini", { stream: true, sse: false });
      r.reply({
        contentType: SSE,
        body: new TextEncoder().encode(arrayAsSse(new TextDecoder().decode(f.bytes))),
      });
      const conv = await tryModel(r, "openai", "gemini", { stream: true });
      expect(reportedUsage(conv)).toBeDefined();
      expect(reportedUsage(pass)).toEqual(reportedUsage(conv));
    });
  }
});

describe("whole answers: passthrough reports what conversion reports", () => {
  for (const f of JSON_FIXTURES.filter((x) => !SPENT_ON_FAILURE[x.file])) {
    test(f.file, async () => {
      r.reply({ contentType: JSON_TYPE, body: f.bytes });
      const pass = await tryModel(r, f.format, f.format);
      r.reply({ contentType: JSON_TYPE, body: f.bytes });
      const conv = await tryModel(r, OTHER[f.format], f.format);
      expect(pass.outcome.kind).toBe("committed");
      expect(conv.outcome.kind).toBe("committed");
      expect(reportedUsage(pass)).toBeDefined();
      expect(reportedUsage(pass)).toEqual(reportedUsage(conv));
    });
  }
});

describe("nobody listens: nothing is read, nothing asked", () => {
  for (const kind of KINDS) {
    test(kind, async () => {
      const f = SSE_FIXTURES.find((x) => x.format === kind)!;
      const reading = FORMATS[kind].usage;
      const frame = spyOn(reading, "frame");
      const answer = spyOn(reading, "answer");
      try {
        r.reply({ contentType: SSE, body: f.bytes });
        const streamed = await tryModel(r, kind, kind, {
          stream: true,
          listen: false,
          wantUsage: true,
        });
        r.reply({
          contentType: JSON_TYPE,
          body: JSON_FIXTURES.find((x) => x.format === kind)!.bytes,
        });
        const whole = await tryModel(r, kind, kind, { listen: false });
        expect(streamed.reported).toEqual([["end", "done"]]);
        expect(whole.reported).toEqual([["end", "done"]]);
        expect(frame).not.toHaveBeenCalled();
        expect(answer).not.toHaveBeenCalled();
        // The client's request went as it came (the model named the upstream's).
        expect(r.received[0]).not.toContain("include_usage");
      } finally {
        frame.mockRestore();
        answer.mockRestore();
      }
    });
  }
});

test("a stream the client cancels reports the usage it carried until then, before its end", async () => {
  const f = SSE_FIXTURES.find((x) => x.file === "anthropic/text-stream.sse")!;
  r.reply({ contentType: SSE, body: f.bytes });
  const t = await tryModel(r, "anthropic", "anthropic", { stream: true, cancel: true });
  expect(t.reported.map((x) => x[0])).toEqual(["usage", "end"]);
  expect(t.reported[1]).toEqual(["end", "cancelled"]);
  // At least message_start's counts: the input was spent whatever came after.
  expect(reportedUsage(t)?.input).toBeGreaterThan(0);
});
