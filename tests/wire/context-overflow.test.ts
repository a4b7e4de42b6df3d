import { describe, expect, test } from "bun:test";
import { overflowTokens } from "../../src/wire/context-overflow";

/** The numbers of upstream context-overflow messages, in every vendor's wording. */

describe("overflowTokens", () => {
  test.each([
    // Anthropic
    ["prompt is too long: 210000 tokens > 200000 maximum", { input: 210000, limit: 200000 }],
    [
      "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000, decrease input length or `max_tokens` and try again",
      { input: 190000, output: 20000, limit: 200000 },
    ],
    // Gemini, with and without the input count
    [
      "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
      { input: 1200000, limit: 1048576 },
    ],
    [
      "The input token count exceeds the maximum number of tokens allowed (1048576).",
      { limit: 1048576 },
    ],
    // OpenAI, chat completions over the years
    [
      "This model's maximum context length is 128000 tokens. However, you requested 130000 tokens (125000 in the messages, 5000 in the completion). Please reduce the length of the messages or completion.",
      { input: 125000, output: 5000, limit: 128000 },
    ],
    [
      "This model's maximum context length is 4097 tokens, however you requested 4231 tokens (3975 in your prompt; 256 for the completion). Please reduce your prompt; or completion length.",
      { input: 3975, output: 256, limit: 4097 },
    ],
    [
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens. Please reduce the length of the messages.",
      { input: 8227, limit: 8192 },
    ],
    [
      "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in 289650 tokens. Please reduce the length of the messages.",
      { input: 289650, limit: 272000 },
    ],
    // vLLM
    [
      "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is 8192 tokens and your request has 5000 input tokens (4096 > 8192 - 5000).",
      { input: 5000, output: 4096, limit: 8192 },
    ],
    [
      "This model's maximum context length is 4097 tokens. However, you requested 4120 tokens. Please reduce the length of the messages.",
      { input: 4120, limit: 4097 },
    ],
    // Wrapped by the router's decoders and relays
    [
      "upstream (openai): Provider returned error: prompt is too long: 208310 tokens > 200000 maximum",
      { input: 208310, limit: 200000 },
    ],
  ])("%s", (message, tokens) => {
    expect(overflowTokens(message)).toEqual(tokens);
  });

  test.each([
    "Your input exceeds the context window of this model. Please adjust your input and try again.",
    "prompt is too long",
    "too many tokens",
    "",
  ])("no numbers: %p", (message) => {
    expect(overflowTokens(message)).toBeUndefined();
  });

  test("a number too large to be exact is not taken", () => {
    expect(
      overflowTokens("prompt is too long: 99999999999999999999 tokens > 200000 maximum"),
    ).toEqual({ limit: 200000 });
  });
});
