import { describe, expect, test } from "bun:test";
import { Tracker } from "../../src/core/tracker";
import type { LogFields, Logger } from "../../src/log";

/** A logger that keeps the request lines. */
function lines() {
  const requests: LogFields[] = [];
  const none = () => {};
  const log: Logger = {
    level: "info",
    trace: none,
    debug: none,
    info: (msg, fields) => void (msg === "request" && requests.push(fields ?? {})),
    warn: none,
    error: none,
  };
  return { log, requests };
}

const answer = (status = 200) => new Response("x", { status });

describe("the request line is written once, when the request is really over", () => {
  test("a committed stream: after its end, not when its answer is handed out", () => {
    const { log, requests } = lines();
    const t = new Tracker(log, undefined, "openai");
    t.attempt("m", "ok");
    const res = t.answered(answer());
    expect(res.headers.get("x-llm-router-request-id")).toBe(t.id);
    expect(requests).toEqual([]);
    t.usage({ input: 3, output: 5, cacheRead: 1, cacheWrite: 0 });
    t.ended();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ model: "m", attempts: 1, status: 200, input_tokens: 4 });
    t.ended();
    expect(requests).toHaveLength(1);
  });

  test("the line names the session key's source, and the fallback group only when one served", () => {
    const { log, requests } = lines();
    const t = new Tracker(log, undefined, "anthropic");
    t.group = "sonnet";
    t.routed({ affinity: "header:x-claude-code-session-id", group: "gpt" });
    t.attempt("m", "ok");
    t.ended();
    t.answered(answer());
    expect(requests[0]).toMatchObject({
      group: "sonnet",
      served_by: "gpt",
      affinity: "header:x-claude-code-session-id",
    });
    const same = new Tracker(log, undefined, "anthropic");
    same.group = "sonnet";
    same.routed({ group: "sonnet" });
    same.attempt("m", "ok");
    same.ended();
    same.answered(answer());
    expect(requests[1]!.served_by).toBeUndefined();
    expect(requests[1]!.affinity).toBeUndefined();
  });

  test("a whole answer whose end was reported before it was handed out: at once", () => {
    const { log, requests } = lines();
    const t = new Tracker(log, undefined, "openai");
    t.ended();
    t.attempt("m", "ok");
    expect(requests).toEqual([]);
    t.answered(answer());
    expect(requests).toHaveLength(1);
  });

  test("failed attempts: at once, with the error the answer carries", () => {
    const { log, requests } = lines();
    const t = new Tracker(log, undefined, "gemini");
    t.attempt("a", "retryable_error");
    t.attempt("b", "error");
    t.failed("upstream answered 400");
    t.answered(answer(400));
    expect(requests).toEqual([
      expect.objectContaining({
        model: "b",
        attempts: 2,
        status: 400,
        error: "upstream answered 400",
      }),
    ]);
  });

  test("a refusal before any attempt carries its own error", () => {
    const { log, requests } = lines();
    const t = new Tracker(log, undefined, "anthropic");
    t.answered(answer(415), "not JSON");
    expect(requests).toEqual([expect.objectContaining({ status: 415, error: "not JSON" })]);
  });

  test("a model listing writes no line", () => {
    const { log, requests } = lines();
    const t = new Tracker(log, undefined, "openai");
    t.quiet = true;
    t.answered(answer());
    expect(requests).toEqual([]);
  });
});
