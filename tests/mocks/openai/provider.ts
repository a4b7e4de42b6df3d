// OpenAI Chat Completions upstream: routes, auth, and the exact response envelopes of
// api.openai.com (non-stream body, chunk stream, errors), plus DeepSeek-style reasoning_content.
import type { Answer, Ctx, Handled, JsonAnswer, Provider, Reply, Streaming } from "../types.ts";
import { Invalid, makePlan, randomId, splitJson, splitText, sseFrame } from "../util.ts";
import { jsonHeaders, listModels, openaiErrors } from "./service.ts";
import { validateChat } from "./validate.ts";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p: any) => (p?.type === "text" && typeof p.text === "string" ? p.text : ""))
    .join("");
}

/** The user's side of the last exchange: the last user message, or the trailing tool results. */
function echoSource(messages: any[]): string {
  const trailing: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i].role === "tool"; i--)
    trailing.unshift(textOf(messages[i].content));
  if (trailing.length) return trailing.join("");
  const user = messages.findLast((m) => m.role === "user");
  return user ? textOf(user.content) : "";
}

const MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1"];
const { openaiError, authFailure, errorFor } = openaiErrors(4);

export function createOpenAI(cfg: { apiKey: string; modelSuffix: string }): Provider {
  function generate(body: any, reply: Reply): Answer {
    const model = `${body.model}${cfg.modelSuffix}`;
    const id = randomId("chatcmpl-", 29);
    const created = Math.floor(Date.now() / 1000);
    const allText = body.messages.map((m: any) => textOf(m.content)).join(" ");
    const plan = makePlan(
      reply,
      echoSource(body.messages),
      allText,
      (name) => body.tools?.find((t: any) => t.function?.name === name)?.function.parameters,
    );
    const calls = plan.calls.map((c) => ({
      id: c.id ?? randomId("call_", 24),
      name: c.name,
      args: JSON.stringify(c.args),
    }));
    const finish = plan.finish ?? (calls.length ? "tool_calls" : "stop");
    const n: number = body.n ?? 1;
    const usage = {
      prompt_tokens: plan.usage.input,
      completion_tokens: plan.usage.output,
      total_tokens: plan.usage.input + plan.usage.output,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: plan.usage.reasoning,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    const fingerprint = "fp_mock0a1b2c";

    if (body.stream !== true) {
      const message: Record<string, unknown> = {
        role: "assistant",
        content: plan.text || (calls.length ? null : ""),
      };
      if (plan.thinking) message.reasoning_content = plan.thinking.text;
      if (calls.length) {
        message.tool_calls = calls.map((c) => ({
          id: c.id,
          type: "function",
          function: { name: c.name, arguments: c.args },
        }));
      }
      message.refusal = null;
      message.annotations = [];
      const choices = Array.from({ length: n }, (_, index) => ({
        index,
        message,
        logprobs: null,
        finish_reason: finish,
      }));
      const out = {
        id,
        object: "chat.completion",
        created,
        model,
        choices,
        usage,
        service_tier: "default",
        system_fingerprint: fingerprint,
      };
      return {
        kind: "json",
        status: 200,
        body: JSON.stringify(out, null, 2),
        headers: jsonHeaders(),
      };
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const obfuscate = body.stream_options?.include_obfuscation !== false;
    let seq = 0;
    const chunk = (choices: unknown[], usageValue: unknown = null) => {
      const c: Record<string, unknown> = {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        service_tier: "default",
        system_fingerprint: fingerprint,
        choices,
      };
      if (includeUsage) c.usage = usageValue;
      // Real chunks carry random padding; routers must ignore keys they do not know.
      if (obfuscate) c.obfuscation = randomId("", 3 + (seq++ % 12));
      return sseFrame(JSON.stringify(c));
    };
    const delta = (index: number, d: unknown, finishReason: string | null = null) =>
      chunk([{ index, delta: d, logprobs: null, finish_reason: finishReason }]);

    const events: string[] = [];
    for (let index = 0; index < n; index++) {
      events.push(delta(index, { role: "assistant", content: "", refusal: null }));
      for (const piece of splitText(plan.thinking?.text ?? "", plan.chunks))
        events.push(delta(index, { reasoning_content: piece }));
      for (const piece of splitText(plan.text, plan.chunks))
        events.push(delta(index, { content: piece }));
      calls.forEach((c, i) => {
        events.push(
          delta(index, {
            tool_calls: [
              { index: i, id: c.id, type: "function", function: { name: c.name, arguments: "" } },
            ],
          }),
        );
        for (const frag of splitJson(c.args))
          events.push(delta(index, { tool_calls: [{ index: i, function: { arguments: frag } }] }));
      });
      events.push(delta(index, {}, finish));
    }
    if (includeUsage) events.push(chunk([], usage));
    events.push(sseFrame("[DONE]"));
    return {
      kind: "stream",
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-request-id": randomId("req_", 32),
      },
      events,
      terminal: includeUsage ? 3 : 2,
      errorEvent: sseFrame(
        JSON.stringify({
          error: {
            message: "The server had an error while processing your request. Sorry about that!",
            type: "server_error",
            param: null,
            code: null,
          },
        }),
      ),
    };
  }

  return {
    apiBase: (url) => `${url}/v1`,
    overloadedStatus: 500,
    handle(ctx: Ctx): Handled {
      const route = `${ctx.method} ${ctx.path}`;
      const isChat = route === "POST /v1/chat/completions";
      const isModels = ctx.method === "GET" && /^\/v1\/models(\/.+)?$/.test(ctx.path);
      if (!isChat && !isModels)
        return openaiError(404, `Invalid URL (${route})`, "invalid_request_error");
      const denied = authFailure(ctx.headers, cfg.apiKey);
      if (denied) return denied;
      if (isModels) return listModels(ctx.path, MODELS);
      const streaming: Streaming = ctx.body?.stream === true ? "sse" : false;
      try {
        validateChat(ctx.body);
      } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        const h = openaiError(
          e.status,
          e.message,
          "invalid_request_error",
          (e.extra.param as string) ?? null,
          (e.extra.code as string) ?? null,
        );
        return { ...h, streaming };
      }
      return { streaming, generate: (reply) => generate(ctx.body, reply) };
    },
    errorFor,
    garbage(streaming: Streaming): JsonAnswer {
      if (streaming) {
        const body = `data: {"id":"chatcmpl-garbage","object":"chat.completion.chunk","choices":[{"delta":{"content":\n\ndata: <html>upstream proxy error</html>\n\n`;
        return {
          kind: "json",
          status: 200,
          body,
          headers: { "content-type": "text/event-stream; charset=utf-8" },
        };
      }
      return {
        kind: "json",
        status: 200,
        body: `{"id":"chatcmpl-garbage","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist`,
        headers: jsonHeaders(),
      };
    },
  };
}
