import { describe, expect, test } from "bun:test";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { ctx } from "./helpers";

const decodeErr = (body: Record<string, unknown>): RouterError =>
  openaiCodec.decodeRequest({ model: "g", ...body }, ctx()) as RouterError;
const user = (content: unknown) => ({ role: "user", content });

describe("bad input → 400 naming the field, never a throw", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["messages missing", {}, "messages"],
    ["messages not an array", { messages: "hi" }, "messages"],
    ["message not an object", { messages: [5] }, "messages[0]"],
    ["role missing", { messages: [{ content: "x" }] }, "messages[0].role"],
    ["unknown role", { messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    ["user content number", { messages: [user(5)] }, "messages[0].content"],
    [
      "unknown part type",
      { messages: [user([{ type: "video", video: {} }])] },
      "messages[0].content[0].type",
    ],
    [
      "text part without text",
      { messages: [user([{ type: "text" }])] },
      "messages[0].content[0].text",
    ],
    [
      "image_url without url",
      { messages: [user([{ type: "image_url", image_url: {} }])] },
      "messages[0].content[0].image_url.url",
    ],
    [
      "tool without tool_call_id",
      { messages: [{ role: "tool", content: "x" }] },
      "messages[0].tool_call_id",
    ],
    [
      "tool call without id",
      {
        messages: [
          { role: "assistant", tool_calls: [{ type: "function", function: { name: "f" } }] },
        ],
      },
      "messages[0].tool_calls[0].id",
    ],
    [
      "arguments a number",
      {
        messages: [
          {
            role: "assistant",
            tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: 3 } }],
          },
        ],
      },
      "messages[0].tool_calls[0].function.arguments",
    ],
    ["temperature a string", { messages: [user("q")], temperature: "hot" }, "temperature"],
    ["max_tokens not an integer", { messages: [user("q")], max_tokens: 1.5 }, "max_tokens"],
    ["stop of numbers", { messages: [user("q")], stop: [1] }, "stop"],
    ["tools not an array", { messages: [user("q")], tools: {} }, "tools"],
    [
      "non-function tool",
      { messages: [user("q")], tools: [{ type: "custom", custom: {} }] },
      "tools[0].type",
    ],
    [
      "tool without name",
      { messages: [user("q")], tools: [{ type: "function", function: {} }] },
      "tools[0].function.name",
    ],
    ["bad tool_choice", { messages: [user("q")], tool_choice: "sometimes" }, "tool_choice"],
    [
      "bad reasoning_effort",
      { messages: [user("q")], reasoning_effort: "max" },
      "reasoning_effort",
    ],
    [
      "bad response_format",
      { messages: [user("q")], response_format: { type: "yaml" } },
      "response_format.type",
    ],
    ["stream a string", { messages: [user("q")], stream: "yes" }, "stream"],
  ];
  test.each(cases)("%s", (_name, body, field) => {
    const err = decodeErr(body);
    expect(isRouterError(err)).toBe(true);
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_request");
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });
});
