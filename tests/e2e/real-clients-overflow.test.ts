import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { routerError } from "../../src/ir";
import { codecContext, FORMATS } from "../../src/wire";
import { startHarness, TOKEN, type Harness } from "./harness";
import {
  ensureInstalled,
  INSTALL_TIMEOUT_MS,
  RUN_TIMEOUT_MS,
  runBounded,
  scratch,
  type Drive,
  type Invocation,
} from "./real-clients/cli";
import { claudeCode } from "./real-clients/claude-code";
import { codex } from "./real-clients/codex";

/**
 * An upstream's context overflow, converted for another format, is acted on by the real agents:
 * Claude Code retries with the max_tokens the numbers leave room for, or reports the excess it
 * would compact by; Codex reports running out of context window (the error it compacts on), from
 * an HTTP error and from a stream's response.failed alike.
 */

const PROMPT = "Say hello.";
const tail = (s: string, n = 1500) => (s.length > n ? `…${s.slice(-n)}` : s);

let h: Harness;
beforeAll(async () => {
  await ensureInstalled();
  h = await startHarness();
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(() => h?.stop());

async function runCli(
  prepare: (d: Drive) => Promise<Invocation>,
  base: string,
  group: string,
): Promise<{ exit: number | string | null; stdout: string; stderr: string }> {
  const s = await scratch({});
  try {
    const drive = { base, token: TOKEN, group, prompt: PROMPT, scratch: s };
    const run = await runBounded(await prepare(drive), RUN_TIMEOUT_MS);
    return {
      exit: run.timedOut ? `timed out after ${run.ms} ms` : run.code,
      stdout: tail(run.stdout),
      stderr: tail(run.stderr),
    };
  } finally {
    await s.cleanup();
  }
}

describe("Claude Code acts on an overflow from an upstream of another format", () => {
  test(
    "OpenAI's input + completion over the window → it asks again with max_tokens = window − input − 1000",
    async () => {
      for (const m of Object.values(h.mocks)) m.reset();
      const mock = h.mocks.openai;
      mock.fault({
        kind: "status",
        status: 400,
        body: {
          error: {
            message:
              "This model's maximum context length is 160000 tokens. However, you requested 182000 tokens (150000 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.",
            type: "invalid_request_error",
            param: "messages",
            code: "context_length_exceeded",
          },
        },
      });
      const run = await runCli(claudeCode, h.base, "openai");
      const limits = mock.requests.map((r) => r.body?.max_completion_tokens ?? r.body?.max_tokens);
      expect({ ...run, limits }).toMatchObject({ exit: 0, limits: [expect.any(Number), 9000] });
      expect(run.stdout).toContain("echo:");
    },
    RUN_TIMEOUT_MS + 15_000,
  );

  test(
    "Gemini's input over the window → it reads the input and the limit from `prompt is too long`",
    async () => {
      for (const m of Object.values(h.mocks)) m.reset();
      h.mocks.gemini.fault({
        kind: "status",
        status: 400,
        body: {
          error: {
            code: 400,
            message:
              "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
            status: "INVALID_ARGUMENT",
          },
        },
      });
      const run = await runCli(claudeCode, h.base, "gemini");
      // Its own report of the overflow, made from the two numbers it parsed.
      expect(run).toMatchObject({
        stdout: expect.stringMatching(/1200000 tokens \(limit 1048576\)/),
      });
    },
    RUN_TIMEOUT_MS + 15_000,
  );
});

const CODEX_OVERFLOW = "ran out of room in the model's context window";

describe("Codex takes a converted overflow for its context-window error", () => {
  test(
    "Anthropic's max_tokens overflow, as the router's HTTP 400",
    async () => {
      for (const m of Object.values(h.mocks)) m.reset();
      h.mocks.anthropic.fault({
        kind: "status",
        status: 400,
        body: {
          type: "error",
          error: {
            type: "invalid_request_error",
            message:
              "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000, decrease input length or `max_tokens` and try again",
          },
        },
      });
      const run = await runCli(codex("read-only"), h.base, "anthropic");
      expect(run).toMatchObject({ stderr: expect.stringContaining(CODEX_OVERFLOW) });
    },
    RUN_TIMEOUT_MS + 15_000,
  );

  test(
    "an overflow after the stream began, as the router's response.failed",
    async () => {
      // The bytes the Responses stream encoder writes when the upstream's stream ends in an overflow.
      const responses = FORMATS.responses;
      const err = routerError("invalid_request", "upstream (gemini): too long", {
        subtype: "context_length_exceeded",
        tokens: { input: 1200000, limit: 1048576 },
      });
      const stub = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch(req) {
          if (!new URL(req.url).pathname.endsWith("/responses"))
            return new Response("{}", { status: 404 });
          const request = { model: "g", system: [], messages: [], tools: [], stream: true };
          const encoder = responses.codec.createStreamEncoder(
            codecContext("g", responses),
            request,
          );
          return new Response(encoder.push({ type: "error", error: err }), {
            headers: { "content-type": "text/event-stream" },
          });
        },
      });
      try {
        const run = await runCli(codex("read-only"), `http://127.0.0.1:${stub.port}`, "g");
        expect(run).toMatchObject({ stderr: expect.stringContaining(CODEX_OVERFLOW) });
      } finally {
        await stub.stop(true);
      }
    },
    RUN_TIMEOUT_MS + 15_000,
  );
});
