import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runCheck, type JsonReport } from "../../src/check";
import { eventually } from "../mocks/testkit";
import type { Responder } from "../mocks";
import { capture, configOf, good, startMocks, type Mocks } from "./fixture";

let m: Mocks;
beforeAll(async () => (m = await startMocks()));
afterAll(async () => Promise.all(Object.values(m).map((x) => x.stop())));
beforeEach(() => Object.values(m).forEach((x) => x.reset()));

/** Answers the tool probe with the call it forces; everything else falls through to the echo. */
const callsTool: Responder = (req) =>
  req.body?.tools ? { toolCalls: [{ name: "report_status", args: { status: "ok" } }] } : undefined;
const all = () =>
  configOf([good(m, "openai"), good(m, "anthropic"), good(m, "gemini"), good(m, "responses")]);
const report = (out: string) => JSON.parse(out) as JsonReport;

describe("--check=stream,tools", () => {
  test("each kind is its own result, and the probes are each format's real streaming and forced-tool requests", async () => {
    Object.values(m).forEach((x) => x.respond(callsTool));
    const { code, out } = await capture((o) => runCheck(all(), o), {
      kinds: ["basic", "stream", "tools"],
      json: true,
    });
    expect(code).toBe(0);
    for (const r of report(out).results) {
      expect(r.probes.map((p) => [p.kind, p.ok, p.status])).toEqual([
        ["basic", true, 200],
        ["stream", true, 200],
        ["tools", true, 200],
      ]);
    }
    for (const mock of Object.values(m))
      expect(mock.requests.filter((r) => r.rejected)).toEqual([]);

    const oa = m.openai.requests;
    expect(oa.find((r) => r.body.stream === true)).toBeDefined();
    expect(oa.find((r) => r.body.tools)!.body).toMatchObject({
      tool_choice: "required",
      max_tokens: 256,
    });
    expect(m.anthropic.requests.find((r) => r.body.stream === true)).toBeDefined();
    expect(m.anthropic.requests.find((r) => r.body.tools)!.body.tool_choice).toEqual({
      type: "any",
    });
    const ge = m.gemini.requests;
    expect(ge.find((r) => r.path.endsWith(":streamGenerateContent"))!.query).toEqual({
      alt: "sse",
    });
    expect(ge.find((r) => r.body.tools)!.body.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY" },
    });
    // A responses model is probed at {api_base}/responses, stateless, within the API's minimum
    // output budget (16), and its forced tool call is a required function call.
    const re = m.responses.requests;
    expect(re.map((r) => r.path)).toEqual(Array(3).fill("/v1/responses"));
    expect(re.every((r) => r.body.store === false && r.body.max_output_tokens >= 16)).toBe(true);
    expect(re.find((r) => r.body.stream === true)).toBeDefined();
    expect(re.find((r) => r.body.tools)!.body.tool_choice).toBe("required");
  });

  test("the table gets a CHECK column and one row per probe", async () => {
    Object.values(m).forEach((x) => x.respond(callsTool));
    const { out } = await capture((o) => runCheck(configOf([good(m, "anthropic")]), o), {
      kinds: ["basic", "stream", "tools"],
    });
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^MODEL +API +HOST +CHECK +RESULT +STATUS +LATENCY +DETAIL$/);
    expect(lines.slice(1, 4).map((l) => l.split(/ {2,}/).slice(3, 6))).toEqual([
      ["basic", "ok", "200"],
      ["stream", "ok", "200"],
      ["tools", "ok", "200"],
    ]);
  });

  test("an upstream that answers text but never calls the forced tool fails the tools probe only", async () => {
    const { code, out } = await capture((o) => runCheck(configOf([good(m, "gemini")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    expect(code).toBe(1);
    const [r] = report(out).results;
    expect(r!.probes.map((p) => p.ok)).toEqual([true, false]);
    expect(r!.probes[1]!.error).toBe("answered without calling the probe's tool (finish: STOP)");
  });

  test("a stream cut before its end marker fails the stream probe", async () => {
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "stream"],
      json: true,
    });
    // The basic probe has taken its (empty) turn at the fault queue; the next request is the stream.
    await m.openai.waitForRequests(1);
    m.openai.fault({ kind: "truncate", afterChunks: 2 });
    const { code, out } = await running;
    expect(code).toBe(1);
    const stream = report(out).results[0]!.probes[1]!;
    expect(stream).toMatchObject({ kind: "stream", ok: false, status: 200 });
    expect(stream.error).toStartWith("stream failed: ");
  });

  test("basic failing skips the deeper probes of that model", async () => {
    const config = configOf([{ name: "nokey", kind: "openai", base: m.openai.apiBase }]);
    const { out } = await capture((o) => runCheck(config, o), {
      kinds: ["basic", "stream", "tools"],
      json: true,
    });
    expect(report(out).results[0]!.probes.map((p) => [p.kind, p.skipped ?? false])).toEqual([
      ["basic", false],
      ["stream", true],
      ["tools", true],
    ]);
    // Only the basic probe reached the upstream, which refused it for want of a key.
    expect(m.openai.requests.map((r) => r.rejected?.status)).toEqual([401]);
  });
});

describe("--check limits", () => {
  test("a hanging upstream fails with 'timed out' within the timeout", async () => {
    m.anthropic.fault({ kind: "hang" });
    const started = performance.now();
    const { code, out } = await capture((o) => runCheck(configOf([good(m, "anthropic")]), o), {
      timeoutMs: 300,
      json: true,
    });
    const elapsed = performance.now() - started;
    expect(code).toBe(1);
    expect(report(out).results[0]!.probes[0]).toMatchObject({
      ok: false,
      error: "timed out after 0.3 s",
    });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The upstream never answers: anything short of the test's own timeout shows the probe gave up.
    expect(elapsed).toBeLessThan(5_000);
    // The probe really hung up, so the upstream is not left holding the request.
    await eventually(() => m.anthropic.requests[0]?.aborted === true);
  });

  test("no more than `concurrency` upstream requests run at once", async () => {
    const models = Array.from({ length: 6 }, (_, i) => good(m, "openai", `oa-${i}`));
    for (let i = 0; i < 6; i++) m.openai.fault({ kind: "hang" });
    const started = performance.now();
    const { code } = await capture((o) => runCheck(configOf(models), o), {
      timeoutMs: 200,
      concurrency: 2,
    });
    expect(code).toBe(1);
    // Three waves of two: each wave waits out its timeout before the next starts.
    expect(performance.now() - started).toBeGreaterThanOrEqual(580);
  });
});

describe("OpenAI token-limit parameter", () => {
  const unsupported = (param: string, other: string) => ({
    kind: "status" as const,
    status: 400,
    body: {
      error: {
        message: `Unsupported parameter: '${param}' is not supported with this model. Use '${other}' instead.`,
        type: "invalid_request_error",
        param,
        code: "unsupported_parameter",
      },
    },
  });

  test("a model refusing max_tokens is probed again with max_completion_tokens and passes with a note", async () => {
    m.openai.fault(unsupported("max_tokens", "max_completion_tokens"));
    const { code, out } = await capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      json: true,
    });
    expect(code).toBe(0);
    expect(report(out).results[0]!.probes[0]).toMatchObject({
      ok: true,
      status: 200,
      note: "upstream refuses max_tokens; probed again with max_completion_tokens",
    });
    const [first, second] = m.openai.requests;
    expect(first!.body.max_tokens).toBe(8);
    expect(second!.body.max_completion_tokens).toBe(8);
    expect(second!.body.max_tokens).toBeUndefined();
  });

  test("other 400s are failures, without a second request", async () => {
    m.openai.fault({
      kind: "status",
      status: 400,
      body: {
        error: {
          message: "The model `x` does not support max_tokens of that size",
          type: "invalid_request_error",
        },
      },
    });
    const { code } = await capture((o) => runCheck(configOf([good(m, "openai")]), o));
    expect(code).toBe(1);
    expect(m.openai.requests).toHaveLength(1);
  });
});
