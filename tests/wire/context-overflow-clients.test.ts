import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, test } from "bun:test";
import { routerError, type ContextTokens, type IRRequest, type RouterError } from "../../src/ir";
import { codecContext, FORMATS, type Format } from "../../src/wire";

/**
 * Context overflows as the agents read them, whoever found the overflow: an upstream of any format
 * or the router itself (no member's context window fits). The forms are the clients' own code:
 *
 * - Claude Code 2.1.197, tests/real-clients/node_modules/@anthropic-ai/claude-code-linux-x64/claude
 *   (`grep -a`): an API error whose message matches PROMPT_TOO_LONG makes it compact, by the excess
 *   of the first number over the second; a 400 whose lower-cased message includes MAX_TOKENS_PHRASE
 *   and matches MAX_TOKENS_OVERFLOW makes it retry with max_tokens = limit − input − 1000.
 * - Codex 0.171.0, tests/real-clients/node_modules/@openai/codex-linux-x64/…/codex, run by
 *   `codex exec` against a mock: it reports running out of context (its ContextWindowExceeded) for an
 *   HTTP 400 whose `error.code` is `context_length_exceeded`, and for a `response.failed` event whose
 *   `response.error.code` is; the same body with status 413 is only an "unexpected status".
 * - opencode 1.18.33, tests/real-clients/node_modules/opencode-linux-x64/bin/opencode: reads an
 *   overflow from the message alone, by patterns among which are OPENCODE_OVERFLOW's.
 */
const PROMPT_TOO_LONG = /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i;
const MAX_TOKENS_PHRASE = "input length and `max_tokens` exceed context limit";
const MAX_TOKENS_OVERFLOW =
  /input length and `max_tokens` exceed context limit: (\d+) \+ (\d+) > (\d+)/;
const CODEX_CODE = "context_length_exceeded";
const OPENCODE_OVERFLOW = [
  /prompt is too long/i,
  /input token count.*exceeds the maximum/i,
  /maximum context length is \d+ tokens/i,
  /context[_ ]length[_ ]exceeded/i,
];

const overflow = (tokens?: ContextTokens, message = "no member's context window fits") =>
  routerError("invalid_request", message, { subtype: "context_length_exceeded", tokens });

const INPUT_OVER = { input: 210000, output: 8000, limit: 200000 };
const TOTAL_OVER = { input: 190000, output: 20000, limit: 200000 };

/** What Claude Code does with an error the Anthropic SDK made of this response. */
async function claudeCode(res: Response): Promise<{
  compact?: [number, number];
  shrink?: [number, number, number];
  compacts: boolean;
}> {
  const body = (await res.json()) as object;
  const error = Anthropic.APIError.generate(res.status, body, undefined, res.headers);
  const message = error.message;
  const tooLong = PROMPT_TOO_LONG.exec(message);
  const shrink =
    error.status === 400 && message.toLowerCase().includes(MAX_TOKENS_PHRASE)
      ? MAX_TOKENS_OVERFLOW.exec(message)
      : null;
  return {
    compacts: message.toLowerCase().includes("prompt is too long"),
    ...(tooLong ? { compact: [Number(tooLong[1]), Number(tooLong[2])] } : {}),
    ...(shrink ? { shrink: [Number(shrink[1]), Number(shrink[2]), Number(shrink[3])] } : {}),
  };
}

/** Whether Codex takes this HTTP error for a context overflow. */
async function codexSeesOverflow(res: Response): Promise<boolean> {
  const body = (await res.json()) as { error?: { code?: unknown } };
  return res.status === 400 && body.error?.code === CODEX_CODE;
}

/** The JSON of the last `data:` line of a stream's text. */
function lastData(text: string): any {
  const lines = text.split(/\r?\n/).filter((l) => l.startsWith("data: "));
  return JSON.parse(lines.at(-1)!.slice("data: ".length));
}

const request: IRRequest = { model: "g", system: [], messages: [], tools: [], stream: true };

/** The in-stream error as the format's stream encoder writes it, and as passthrough writes it. */
function streamErrors(format: Format, err: RouterError): unknown[] {
  const encoder = format.codec.createStreamEncoder(codecContext("g", format), request);
  const encoded = (encoder.flush?.() ?? "") + encoder.push({ type: "error", error: err });
  return [lastData(encoded), lastData(format.streamError(err))];
}

describe("Anthropic clients (Claude Code)", () => {
  const { anthropic } = FORMATS;

  test("input over the window: `prompt is too long: A tokens > C maximum`, so it compacts by the excess", async () => {
    const res = anthropic.encodeError(overflow(INPUT_OVER));
    expect(res.status).toBe(400);
    expect(await claudeCode(res)).toEqual({ compacts: true, compact: [210000, 200000] });
    for (const event of streamErrors(anthropic, overflow(INPUT_OVER)))
      expect(PROMPT_TOO_LONG.exec((event as any).error.message)?.slice(1)).toEqual([
        "210000",
        "200000",
      ]);
  });

  test("input and max_tokens over the window together: the max_tokens form, so it retries with less output", async () => {
    const res = anthropic.encodeError(overflow(TOTAL_OVER));
    expect(res.status).toBe(400);
    expect(await claudeCode(res)).toEqual({ compacts: false, shrink: [190000, 20000, 200000] });
    const body = anthropic.errorBody(overflow(TOTAL_OVER)) as any;
    expect(body.error).toEqual({
      type: "invalid_request_error",
      message:
        "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000, decrease input length or `max_tokens` and try again",
    });
  });

  test("no numbers: the phrase alone, so it still compacts", async () => {
    const res = anthropic.encodeError(overflow(undefined, "upstream (openai): too long"));
    expect(await claudeCode(res)).toEqual({ compacts: true });
    expect((anthropic.errorBody(overflow(undefined, "x")) as any).error.message).toBe(
      "prompt is too long: x",
    );
  });

  test("numbers that do not add up to an overflow are not passed off as one", async () => {
    const res = anthropic.encodeError(overflow({ input: 1000, limit: 200000 }, "too long"));
    expect(await claudeCode(res)).toEqual({ compacts: true });
  });

  test("an overflow the upstream answered with 413 is still Anthropic's 400", () => {
    const err = routerError("request_too_large", "too many tokens", {
      subtype: "context_length_exceeded",
      tokens: TOTAL_OVER,
    });
    expect(anthropic.encodeError(err).status).toBe(400);
    expect((anthropic.errorBody(err) as any).error.type).toBe("invalid_request_error");
  });
});

describe("OpenAI Chat and Responses clients (Codex, opencode)", () => {
  for (const id of ["openai", "responses"] as const) {
    const format = FORMATS[id];

    test(`${id}: a 400 with code context_length_exceeded, in OpenAI's words with the numbers`, async () => {
      const input = format.encodeError(overflow(INPUT_OVER));
      expect(await codexSeesOverflow(format.encodeError(overflow(INPUT_OVER)))).toBe(true);
      expect(((await input.json()) as any).error).toEqual({
        message:
          "This model's maximum context length is 200000 tokens. However, you requested 218000 tokens (210000 in the messages, 8000 in the completion). Please reduce the length of the messages or completion.",
        type: "invalid_request_error",
        param: null,
        code: CODEX_CODE,
      });
      const messagesOnly = (format.errorBody(overflow({ input: 210000, limit: 200000 })) as any)
        .error.message;
      expect(messagesOnly).toBe(
        "This model's maximum context length is 200000 tokens. However, your messages resulted in 210000 tokens. Please reduce the length of the messages.",
      );
      expect(OPENCODE_OVERFLOW.some((p) => p.test(messagesOnly))).toBe(true);
    });

    test(`${id}: an overflow the upstream answered with 413 is a 400 (Codex ignores the code on a 413)`, async () => {
      const err = routerError("request_too_large", "too many tokens", {
        subtype: "context_length_exceeded",
      });
      expect(await codexSeesOverflow(format.encodeError(err))).toBe(true);
    });

    test(`${id}: no numbers, today's message, still the code`, async () => {
      const body = (await format.encodeError(overflow(undefined, "too long")).json()) as any;
      expect(body.error).toMatchObject({ message: "too long", code: CODEX_CODE });
    });
  }

  test("responses: a stream that fails ends with response.failed carrying the code, as Codex reads it", () => {
    for (const event of streamErrors(FORMATS.responses, overflow(TOTAL_OVER))) {
      const { type, response } = event as any;
      expect(type).toBe("response.failed");
      expect(response.error.code).toBe(CODEX_CODE);
      expect(response.error.message).toContain("(190000 in the messages, 20000 in the completion)");
    }
  });

  test("openai: an in-stream error carries the code too", () => {
    for (const event of streamErrors(FORMATS.openai, overflow(INPUT_OVER)))
      expect((event as any).error.code).toBe(CODEX_CODE);
  });
});

describe("Gemini clients", () => {
  const { gemini } = FORMATS;

  test("400 INVALID_ARGUMENT in Gemini's words", async () => {
    const res = gemini.encodeError(overflow(INPUT_OVER));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toEqual({
      code: 400,
      message:
        "The input token count (210000) exceeds the maximum number of tokens allowed (200000).",
      status: "INVALID_ARGUMENT",
    });
    for (const event of streamErrors(gemini, overflow(INPUT_OVER)))
      expect((event as any).error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
  });

  test("input and output together: which sum overflowed; only the limit: Gemini's short form", () => {
    const total = (gemini.errorBody(overflow(TOTAL_OVER)) as any).error.message;
    expect(total).toBe(
      "The input token count (190000) plus the requested maxOutputTokens (20000) exceeds the maximum number of tokens allowed (200000).",
    );
    expect(OPENCODE_OVERFLOW.some((p) => p.test(total))).toBe(true);
    expect((gemini.errorBody(overflow({ limit: 1048576 })) as any).error.message).toBe(
      "The input token count exceeds the maximum number of tokens allowed (1048576).",
    );
    expect((gemini.errorBody(overflow(undefined, "too long")) as any).error.message).toBe(
      "too long",
    );
  });
});

describe("an upstream's overflow reaches another format's client with its meaning and numbers", () => {
  const upstream = (id: keyof typeof FORMATS, status: number, body: unknown) =>
    FORMATS[id].codec.decodeError(status, JSON.stringify(body), new Headers());
  const openaiInputAndOutput = upstream("openai", 400, {
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, you requested 130000 tokens (125000 in the messages, 5000 in the completion). Please reduce the length of the messages or completion.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  });
  const openaiInput = upstream("openai", 400, {
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  });
  const gemini = upstream("gemini", 400, {
    error: {
      code: 400,
      message:
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
      status: "INVALID_ARGUMENT",
    },
  });
  const anthropicTotal = upstream("anthropic", 400, {
    type: "error",
    error: {
      type: "invalid_request_error",
      message:
        "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000, decrease input length or `max_tokens` and try again",
    },
  });

  test("OpenAI → Claude Code: the max_tokens form when the completion tipped it over", async () => {
    expect(await claudeCode(FORMATS.anthropic.encodeError(openaiInputAndOutput))).toEqual({
      compacts: false,
      shrink: [125000, 5000, 128000],
    });
  });

  test("OpenAI and Gemini → Claude Code: `prompt is too long` with the numbers, so it compacts", async () => {
    expect(await claudeCode(FORMATS.anthropic.encodeError(openaiInput))).toEqual({
      compacts: true,
      compact: [131072, 128000],
    });
    expect(await claudeCode(FORMATS.anthropic.encodeError(gemini))).toEqual({
      compacts: true,
      compact: [1200000, 1048576],
    });
  });

  test("Anthropic and Gemini → Codex: context_length_exceeded, in a 400 and in response.failed", async () => {
    for (const err of [anthropicTotal, gemini]) {
      expect(await codexSeesOverflow(FORMATS.responses.encodeError(err))).toBe(true);
      for (const event of streamErrors(FORMATS.responses, err))
        expect((event as any).response.error.code).toBe(CODEX_CODE);
    }
    expect((FORMATS.openai.errorBody(anthropicTotal) as any).error.message).toContain(
      "(190000 in the messages, 20000 in the completion)",
    );
  });

  test("Anthropic and OpenAI → Gemini clients: Gemini's words with the numbers", () => {
    expect((FORMATS.gemini.errorBody(openaiInput) as any).error.message).toBe(
      "The input token count (131072) exceeds the maximum number of tokens allowed (128000).",
    );
    expect((FORMATS.gemini.errorBody(anthropicTotal) as any).error.message).toContain(
      "(190000) plus the requested maxOutputTokens (20000)",
    );
  });
});
