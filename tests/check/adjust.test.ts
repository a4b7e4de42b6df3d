import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runCheck, type JsonReport } from "../../src/check";
import type { Fault, Responder } from "../mocks";
import { capture, configOf, good, startMocks, type Mocks } from "./fixture";

/**
 * Upstreams that refuse what the probe asks for rather than the model itself: a forced tool
 * choice (GLM always; DeepSeek, Qwen and Kimi while thinking) and a call that is not streamed
 * (DashScope with enable_thinking). The probe asks once more without it and passes with a note;
 * the refusal texts are the providers' own.
 */

let m: Mocks;
beforeAll(async () => (m = await startMocks()));
afterAll(async () => Promise.all(Object.values(m).map((x) => x.stop())));
beforeEach(() => Object.values(m).forEach((x) => x.reset()));

const callsTool: Responder = (req) =>
  req.body?.tools ? { toolCalls: [{ name: "report_status", args: { status: "ok" } }] } : undefined;
const report = (out: string) => JSON.parse(out) as JsonReport;
const refusal = (message: string, status = 400): Fault => ({
  kind: "status",
  status,
  body: { error: { message, type: "invalid_request_error", code: "invalid_parameter_error" } },
});
const STREAM_ONLY = "parameter.enable_thinking must be set to false for non-streaming calls";

describe("--check asks again without what the upstream refuses", () => {
  test("a refused forced tool_choice: the tool probe lets the model choose, and passes with a note", async () => {
    m.openai.respond(callsTool);
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    await m.openai.waitForRequests(1);
    m.openai.fault(refusal("Thinking mode does not support this tool_choice"));
    const { code, out } = await running;
    expect(code).toBe(0);
    expect(report(out).results[0]!.probes[1]).toMatchObject({
      kind: "tools",
      ok: true,
      note: "upstream refuses a forced tool_choice; probed again with auto",
    });
    const tools = m.openai.requests.filter((r) => r.body.tools);
    expect(tools.map((r) => r.body.tool_choice)).toEqual(["required", "auto"]);
  });

  test("the same for an Anthropic upstream: tool_choice any, then auto", async () => {
    m.anthropic.respond(callsTool);
    const running = capture((o) => runCheck(configOf([good(m, "anthropic")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    await m.anthropic.waitForRequests(1);
    m.anthropic.fault(refusal("Tool choice must be auto"));
    expect((await running).code).toBe(0);
    const tools = m.anthropic.requests.filter((r) => r.body.tools);
    expect(tools.map((r) => r.body.tool_choice)).toEqual([{ type: "any" }, { type: "auto" }]);
  });

  test("a model that answers only streams: the basic probe is sent again as a stream", async () => {
    m.openai.fault(refusal(STREAM_ONLY));
    const { code, out } = await capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      json: true,
    });
    expect(code).toBe(0);
    expect(report(out).results[0]!.probes[0]).toMatchObject({
      ok: true,
      note: "upstream answers only streams; probed again as a stream",
    });
    expect(m.openai.requests.map((r) => r.body.stream)).toEqual([false, true]);
  });

  test("both refusals in turn: the tool call is read from a stream", async () => {
    m.openai.respond(callsTool);
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    await m.openai.waitForRequests(1);
    m.openai.fault(refusal("The tool_choice parameter does not support being set to required"));
    m.openai.fault(refusal(STREAM_ONLY));
    const { code, out } = await running;
    expect(code).toBe(0);
    expect(report(out).results[0]!.probes[1]!.note).toBe(
      "upstream refuses a forced tool_choice; probed again with auto; " +
        "upstream answers only streams; probed again as a stream",
    );
    const last = m.openai.requests.at(-1)!.body;
    expect([last.stream, last.tool_choice]).toEqual([true, "auto"]);
  });

  test("refusals of anything else, or with another status, fail without asking again", async () => {
    m.openai.fault(refusal("tool_choice quota exceeded", 429));
    const first = await capture((o) => runCheck(configOf([good(m, "openai")]), o), { json: true });
    expect(first.code).toBe(1);
    expect(m.openai.requests).toHaveLength(1);

    m.openai.reset();
    m.openai.respond(callsTool);
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    await m.openai.waitForRequests(1);
    // The stream adjustment is for non-streamed probes only, and each change is made once.
    m.openai.fault(refusal("Tool choice must be auto"));
    m.openai.fault(refusal("Tool choice must be auto"));
    const { code, out } = await running;
    expect(code).toBe(1);
    const second = report(out).results[0]!.probes[1]!;
    expect(second).toMatchObject({ ok: false, status: 400 });
    // The failure says it came after a re-ask, so the report shows both refusals.
    expect(second.error).toBe(
      "Tool choice must be auto (upstream refuses a forced tool_choice; probed again with auto)",
    );
    expect(m.openai.requests.filter((r) => r.body.tools)).toHaveLength(2);
  });

  test("a tool probe refused with another status than 400 is not asked again, whatever it says", async () => {
    m.openai.respond(callsTool);
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    await m.openai.waitForRequests(1);
    m.openai.fault(refusal("Thinking mode does not support this tool_choice", 429));
    const { code, out } = await running;
    expect(code).toBe(1);
    expect(report(out).results[0]!.probes[1]).toMatchObject({
      kind: "tools",
      ok: false,
      status: 429,
    });
    expect(m.openai.requests.filter((r) => r.body.tools)).toHaveLength(1);
  });

  test("a stream probe refused as if it were not streamed is not sent again", async () => {
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "stream"],
      json: true,
    });
    await m.openai.waitForRequests(1);
    m.openai.fault(refusal(STREAM_ONLY));
    const { code, out } = await running;
    expect(code).toBe(1);
    expect(report(out).results[0]!.probes[1]).toMatchObject({
      kind: "stream",
      ok: false,
      status: 400,
    });
    expect(m.openai.requests.filter((r) => r.body.stream === true)).toHaveLength(1);
  });

  test("a tool probe that, asked again with auto, answers in text fails, saying what was refused", async () => {
    const running = capture((o) => runCheck(configOf([good(m, "openai")]), o), {
      kinds: ["basic", "tools"],
      json: true,
    });
    await m.openai.waitForRequests(1);
    m.openai.fault(refusal("Tool choice must be auto"));
    const { code, out } = await running;
    expect(code).toBe(1);
    const probe = report(out).results[0]!.probes[1]!;
    expect(probe.ok).toBe(false);
    expect(probe.error).toMatch(
      /^answered without calling the probe's tool \(finish: .*\) \(upstream refuses a forced tool_choice; probed again with auto\)$/,
    );
  });
});
