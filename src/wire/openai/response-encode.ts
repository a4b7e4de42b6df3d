import type { IRResponse } from "../../ir/response";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import type { ChatCompletion, ResponseMessage } from "./api";
import { encodeThinkingBlocks, encodeToolSignature } from "./carriers";
import { encodeFinish } from "./finish";
import { encodeUsage } from "./usage";

/** IR → the Chat Completions object an OpenAI client expects (protocols.md §2.19). */
export function encodeResponse(res: IRResponse, ctx: CodecContext): ChatCompletion {
  const texts = res.parts.filter((p) => p.type === "text");
  const reasoning = res.parts.filter((p) => p.type === "reasoning");
  const calls = res.parts.filter((p) => p.type === "tool_call");
  const message: ResponseMessage = {
    role: "assistant",
    // Text parts are pieces of one answer, as a stream would have delivered them.
    content: texts.length ? texts.map((t) => t.text).join("") : calls.length ? null : "",
    refusal: null,
  };
  const thought = reasoning.map((r) => r.text).join("");
  if (thought) message.reasoning_content = thought;
  const blocks = encodeThinkingBlocks(reasoning);
  if (blocks) message.thinking_blocks = blocks;
  if (calls.length) {
    message.tool_calls = calls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
      ...encodeToolSignature(c.signature),
    }));
  }
  return {
    id: encodeResponseId(res.id, ctx),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: ctx.group,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: encodeFinish(res.finish, calls.length > 0),
      },
    ],
    usage: encodeUsage(res.usage),
  };
}

/** Upstream Chat Completions ids are kept (they help correlate logs); others get a `chatcmpl-` id. */
export function encodeResponseId(upstream: string, ctx: CodecContext): string {
  return upstream.startsWith("chatcmpl-") ? upstream : "chatcmpl-" + synthId("", ctx.random);
}
