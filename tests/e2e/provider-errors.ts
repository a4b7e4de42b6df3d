import type { MockKind } from "../mocks";

// What each provider really answers when the prompt is over the context window.
export const CONTEXT_OVERFLOW: Record<MockKind, unknown> = {
  openai: {
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  },
  anthropic: {
    type: "error",
    error: {
      type: "invalid_request_error",
      message: "prompt is too long: 208310 tokens > 200000 maximum",
    },
  },
  gemini: {
    error: {
      code: 400,
      message:
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
      status: "INVALID_ARGUMENT",
    },
  },
  responses: {
    error: {
      message:
        "Your input exceeds the context window of this model. Please adjust your input and try again.",
      type: "invalid_request_error",
      param: "input",
      code: "context_length_exceeded",
    },
  },
};
