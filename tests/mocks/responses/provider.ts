// OpenAI Responses upstream (POST /v1/responses, /v1/responses/input_tokens, GET /v1/models):
// Bearer auth, strict validation, and the Response object and SSE event stream of
// api.openai.com. It keeps no responses (every previous_response_id is unknown); replayed
// reasoning must carry encrypted_content this mock issued, or name an item it stored.
import type {
  Answer,
  Ctx,
  Fault,
  Handled,
  JsonAnswer,
  Provider,
  Reply,
  Streaming,
} from "../types.ts";
import { Invalid, makePlan, randomId, sseFrame, words } from "../util.ts";
import { jsonHeaders, listModels, openaiErrors } from "../openai/service.ts";
import { envelope } from "./envelope.ts";
import { message, reasoning, toolCall, type Built, type Ev } from "./output.ts";
import { validateResponses, type Declared } from "./validate.ts";

const MODELS = ["gpt-5", "gpt-5-mini", "gpt-5-codex", "gpt-4.1"];
const CONTEXT_WINDOW =
  "Your input exceeds the context window of this model. Please adjust your input and try again.";
const RATE_LIMIT =
  "Rate limit reached for gpt-5 in organization org-mock on tokens per min (TPM): Limit 30000, Used 30000, Requested 512. Please try again in 1.024s.";
const { openaiError, authFailure, errorFor } = openaiErrors(2, {
  // A 400 on this endpoint is, in practice, the context window (Codex compacts on its code).
  400: [CONTEXT_WINDOW, "invalid_request_error", "input", "context_length_exceeded"],
  429: [RATE_LIMIT, "tokens", null, "rate_limit_exceeded"],
});
/** `response.error.message` of a failed stream, by code. */
const FAILURE: Record<string, string> = {
  server_error:
    "An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.",
  rate_limit_exceeded: RATE_LIMIT,
  context_length_exceeded: CONTEXT_WINDOW,
};
/** Raw finish words of every mock kind that mean "cut short", mapped to Responses' reasons. */
const INCOMPLETE: Record<string, string> = {
  max_output_tokens: "max_output_tokens",
  incomplete: "max_output_tokens",
  length: "max_output_tokens",
  max_tokens: "max_output_tokens",
  MAX_TOKENS: "max_output_tokens",
  content_filter: "content_filter",
  SAFETY: "content_filter",
};

function partsText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: any) => (typeof p?.text === "string" ? p.text : "")).join("");
}

const isOutput = (it: any) =>
  it?.type === "function_call_output" || it?.type === "custom_tool_call_output";

/** The user's side of the last exchange: the trailing tool outputs, or the last user message. */
function echoSource(input: unknown): string {
  if (typeof input === "string") return input;
  const items: any[] = Array.isArray(input) ? input : [];
  const trailing: string[] = [];
  for (let i = items.length - 1; i >= 0 && isOutput(items[i]); i--)
    trailing.unshift(partsText(items[i].output));
  if (trailing.length) return trailing.join("");
  const user = items.findLast((it) => it?.role === "user");
  return user ? partsText(user.content) : "";
}

function allText(body: any): string {
  const items: any[] = typeof body.input === "string" ? [{ content: body.input }] : body.input;
  const texts = (items ?? []).map((it) => partsText(isOutput(it) ? it.output : it?.content));
  return [body.instructions ?? "", ...texts].join(" ");
}

export function createResponses(cfg: { apiKey: string; modelSuffix: string }): Provider {
  // encrypted_content this mock issued, and the items it stored (answers with `store` on): like
  // the real service's, they stay valid across reset(). Responses themselves are not kept, so a
  // previous_response_id is always unknown.
  const issued = new Set<string>();
  const stored = new Set<string>();
  const seal = () =>
    `gAAAAAB${Buffer.from(crypto.getRandomValues(new Uint8Array(96))).toString("base64url")}`;

  function generate(body: any, declared: Declared, reply: Reply): Answer {
    const plan = makePlan(
      reply,
      echoSource(body.input),
      allText(body),
      (name) => declared.get(name)?.parameters,
    );
    const pace = {
      chunks: plan.chunks,
      obfuscate: body.stream_options?.include_obfuscation !== false,
    };
    const reason = plan.finish === undefined ? undefined : INCOMPLETE[plan.finish];
    const built: Built[] = [];
    if (plan.thinking) {
      const wantsSealed = body.include?.includes("reasoning.encrypted_content");
      const sealed = wantsSealed ? (plan.thinking.signature ?? seal()) : undefined;
      if (sealed) issued.add(sealed);
      const summary = body.reasoning?.summary ? plan.thinking.text : undefined;
      built.push(reasoning(0, { summary, content: plan.thinking.content, sealed }, pace));
    }
    if (plan.text)
      built.push(message(built.length, plan.text, reason ? "incomplete" : "completed", pace));
    for (const c of plan.calls) built.push(toolCall(built.length, c, declared, pace));
    if (body.store !== false) for (const b of built) stored.add(b.item.id as string);

    const { input, output, reasoning: thought } = plan.usage;
    const usage = {
      input_tokens: input,
      input_tokens_details: { cached_tokens: reply.usage?.cached ?? 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: thought },
      total_tokens: input + output,
    };
    const response = envelope(body, `${body.model}${cfg.modelSuffix}`);
    const status = reason ? "incomplete" : "completed";
    const final = response(
      status,
      built.map((b) => b.item),
      reason ? { incomplete_details: { reason }, usage } : { usage },
    );
    if (body.stream !== true)
      return {
        kind: "json",
        status: 200,
        body: JSON.stringify(final, null, 2),
        headers: jsonHeaders(),
      };

    const opening = response("in_progress", [], {});
    const events: Ev[] = [
      { type: "response.created", response: opening },
      { type: "response.in_progress", response: opening },
      ...built.flatMap((b) => b.events),
      { type: `response.${status}`, response: final },
    ];
    const frame = ({ type, ...rest }: Ev, seq: number) =>
      sseFrame(JSON.stringify({ type, sequence_number: seq, ...rest }), type);
    /** Cut after `sent` events: the items finished so far, and the error that ended the turn. */
    const failed = (sent: number, fault: Fault) => {
      const code = (fault.kind === "midstream-error" && fault.code) || "server_error";
      const finished = events.slice(0, sent).filter((e) => e.type === "response.output_item.done");
      const error = { code, message: FAILURE[code] ?? `The response failed (${code}).` };
      const items = finished.map((e) => e.item);
      return frame(
        { type: "response.failed", response: response("failed", items, { error }) },
        sent,
      );
    };
    return {
      kind: "stream",
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-request-id": randomId("req_", 32),
      },
      events: events.map(frame),
      terminal: 1,
      errorEvent: failed,
    };
  }

  function rejected(e: unknown, streaming: Streaming): Handled {
    if (!(e instanceof Invalid)) throw e;
    const param = (e.extra.param as string) ?? null;
    const code = (e.extra.code as string) ?? null;
    return { ...openaiError(e.status, e.message, "invalid_request_error", param, code), streaming };
  }

  function countTokens(body: any): Handled {
    const out = {
      object: "response.input_tokens",
      input_tokens: words(allText(body)),
    };
    return {
      streaming: false,
      answer: {
        kind: "json",
        status: 200,
        body: JSON.stringify(out, null, 2),
        headers: jsonHeaders(),
      },
    };
  }

  return {
    apiBase: (url) => `${url}/v1`,
    overloadedStatus: 500,
    handle(ctx: Ctx): Handled {
      const route = `${ctx.method} ${ctx.path}`;
      const isCreate = route === "POST /v1/responses";
      const isCount = route === "POST /v1/responses/input_tokens";
      const isModels = ctx.method === "GET" && /^\/v1\/models(\/.+)?$/.test(ctx.path);
      if (!isCreate && !isCount && !isModels)
        return openaiError(404, `Invalid URL (${route})`, "invalid_request_error");
      const denied = authFailure(ctx.headers, cfg.apiKey);
      if (denied) return denied;
      if (isModels) return listModels(ctx.path, MODELS);
      const streaming: Streaming = isCreate && ctx.body?.stream === true ? "sse" : false;
      let declared: Declared;
      try {
        declared = validateResponses(
          ctx.body,
          { issued, stored, store: ctx.body?.store !== false },
          isCount,
        );
      } catch (e) {
        return rejected(e, streaming);
      }
      if (isCount) return countTokens(ctx.body);
      return { streaming, generate: (reply) => generate(ctx.body, declared, reply) };
    },
    errorFor,
    garbage(streaming: Streaming): JsonAnswer {
      if (streaming)
        return {
          kind: "json",
          status: 200,
          body: `event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":\n\nevent: response.output_text.delta\ndata: <html>upstream proxy error</html>\n\n`,
          headers: { "content-type": "text/event-stream; charset=utf-8" },
        };
      return {
        kind: "json",
        status: 200,
        body: `{"id":"resp_garbage","object":"response","output":[{"type":"message","content":[{"type":"output_te`,
        headers: jsonHeaders(),
      };
    },
  };
}
