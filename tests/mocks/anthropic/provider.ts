// Anthropic Messages upstream: routes, auth/version headers, response and SSE envelopes as
// recorded from api.anthropic.com (field order, `event:` lines, ping, padding quirk).
import type { Answer, Ctx, Handled, JsonAnswer, Provider, Reply, Streaming } from "../types.ts";
import { Invalid, makePlan, randomId, splitJson, splitText, sseFrame, words } from "../util.ts";
import { validateMessages } from "./validate.ts";
import { inputUsage, type PromptCache } from "./prompt-cache.ts";

const MODELS = [
  {
    id: "claude-sonnet-4-5",
    display_name: "Claude Sonnet 4.5",
    created_at: "2025-09-29T00:00:00Z",
  },
  { id: "claude-haiku-4-5", display_name: "Claude Haiku 4.5", created_at: "2025-10-01T00:00:00Z" },
];
const ERROR_TYPES: Record<number, [string, string]> = {
  400: ["invalid_request_error", "Bad request"],
  401: ["authentication_error", "invalid x-api-key"],
  402: ["billing_error", "Your credit balance is too low to access the Anthropic API."],
  403: ["permission_error", "Your API key does not have permission to use the specified resource."],
  404: ["not_found_error", "Not found"],
  413: ["request_too_large", "Request exceeds the maximum allowed number of bytes."],
  429: [
    "rate_limit_error",
    "Number of request tokens has exceeded your per-minute rate limit (https://docs.claude.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.",
  ],
  500: ["api_error", "Internal server error"],
  504: ["timeout_error", "Request timeout"],
  529: ["overloaded_error", "Overloaded"],
};

const PADDING = [0, 2, 0, 9, 13, 0, 5, 11];

const headers = (contentType = "application/json") => ({
  "content-type": contentType,
  "request-id": randomId("req_011C", 20),
});
const errorJson = (type: string, message: string) =>
  JSON.stringify({ type: "error", error: { type, message }, request_id: randomId("req_011C", 20) });

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b: any) =>
      b?.type === "text" ? b.text : b?.type === "tool_result" ? textOf(b.content) : "",
    )
    .join("");
}

export function createAnthropic(cfg: {
  apiKey: string;
  modelSuffix: string;
  promptCache?: PromptCache;
}): Provider {
  // Issued thinking signatures -> the exact thinking text they cover; survives reset().
  const signatures = new Map<string, string>();
  let sigCount = 0;
  let padIndex = 0;
  // api.anthropic.com pads many events with spaces before the closing brace; clients that
  // compare or splice raw frames must not trip over it, so the mock keeps the quirk.
  const padded = (json: string) =>
    `${json.slice(0, -1)}${" ".repeat(PADDING[padIndex++ % PADDING.length])}}`;
  const event = (type: string, data: Record<string, unknown>) =>
    sseFrame(padded(JSON.stringify({ type, ...data })), type);

  function error(
    status: number,
    type: string,
    message: string,
    streaming: Streaming = false,
  ): Handled {
    return {
      streaming,
      rejected: { status, message },
      answer: { kind: "json", status, body: errorJson(type, message), headers: headers() },
    };
  }

  function generate(body: any, reply: Reply): Answer {
    const model = `${body.model}${cfg.modelSuffix}`;
    const id = randomId("msg_01", 22);
    const lastUser = body.messages.findLast((m: any) => m.role === "user");
    const system =
      typeof body.system === "string"
        ? body.system
        : (body.system ?? []).map((b: any) => b.text).join(" ");
    const allText = [system, ...body.messages.map((m: any) => textOf(m.content))].join(" ");
    const plan = makePlan(
      reply,
      lastUser ? textOf(lastUser.content) : "",
      allText,
      (name) => body.tools?.find((t: any) => t.name === name)?.input_schema,
    );
    const content: Record<string, any>[] = [];
    if (plan.thinking) {
      const signature = plan.thinking.signature ?? `sig-anthropic-${++sigCount}`;
      signatures.set(signature, plan.thinking.text);
      content.push({ type: "thinking", thinking: plan.thinking.text, signature });
    }
    if (plan.text) content.push({ type: "text", text: plan.text });
    for (const c of plan.calls)
      content.push({
        type: "tool_use",
        id: c.id ?? randomId("toolu_01", 22),
        name: c.name,
        input: c.args,
      });
    const stopReason = plan.finish ?? (plan.calls.length ? "tool_use" : "end_turn");
    const stopSequence = stopReason === "stop_sequence" ? (body.stop_sequences?.[0] ?? null) : null;
    const usage = {
      ...inputUsage(cfg.promptCache, body, plan.usage.input),
      output_tokens: plan.usage.output,
      service_tier: "standard",
    };
    const message = {
      model,
      id,
      type: "message",
      role: "assistant",
      content,
      stop_reason: stopReason,
      stop_sequence: stopSequence,
      stop_details: null,
      usage,
    };
    if (body.stream !== true)
      return { kind: "json", status: 200, body: JSON.stringify(message), headers: headers() };

    const events = [
      event("message_start", {
        message: {
          ...message,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: Math.min(1, plan.usage.output) },
        },
      }),
    ];
    const ping = () => events.push(sseFrame(`{"type": "ping"}`, "ping"));
    if (!content.length) ping();
    content.forEach((blk, index) => {
      const delta = (d: Record<string, unknown>) =>
        events.push(event("content_block_delta", { index, delta: d }));
      const empty =
        blk.type === "thinking"
          ? { type: "thinking", thinking: "", signature: "" }
          : blk.type === "text"
            ? { type: "text", text: "" }
            : { type: "tool_use", id: blk.id, name: blk.name, input: {} };
      events.push(event("content_block_start", { index, content_block: empty }));
      if (index === 0) ping();
      if (blk.type === "thinking") {
        for (const t of splitText(blk.thinking, plan.chunks))
          delta({ type: "thinking_delta", thinking: t });
        delta({ type: "signature_delta", signature: blk.signature });
      } else if (blk.type === "text") {
        for (const t of splitText(blk.text, plan.chunks)) delta({ type: "text_delta", text: t });
      } else {
        // A no-argument call streams one empty fragment, exactly like the real service.
        const args = JSON.stringify(blk.input);
        for (const frag of args === "{}" ? [""] : splitJson(args))
          delta({ type: "input_json_delta", partial_json: frag });
      }
      events.push(event("content_block_stop", { index }));
    });
    const { cache_creation: _c, service_tier: _s, ...finalUsage } = usage;
    events.push(
      event("message_delta", {
        delta: { stop_reason: stopReason, stop_sequence: stopSequence, stop_details: null },
        usage: finalUsage,
      }),
    );
    events.push(event("message_stop", {}));
    return {
      kind: "stream",
      headers: { ...headers("text/event-stream; charset=utf-8"), "cache-control": "no-cache" },
      events,
      terminal: 2,
      errorEvent: sseFrame(errorJson("overloaded_error", "Overloaded"), "error"),
    };
  }

  function models(path: string): Handled {
    const one = /^\/v1\/models\/(.+)$/.exec(path);
    if (one) {
      const m = MODELS.find((x) => x.id === decodeURIComponent(one[1]));
      if (!m) return error(404, "not_found_error", `model: ${decodeURIComponent(one[1])}`);
      return {
        streaming: false,
        answer: {
          kind: "json",
          status: 200,
          body: JSON.stringify({ type: "model", ...m }),
          headers: headers(),
        },
      };
    }
    const out = {
      data: MODELS.map((m) => ({ type: "model", ...m })),
      has_more: false,
      first_id: MODELS[0].id,
      last_id: MODELS.at(-1)!.id,
    };
    return {
      streaming: false,
      answer: { kind: "json", status: 200, body: JSON.stringify(out), headers: headers() },
    };
  }

  return {
    apiBase: (url) => url,
    overloadedStatus: 529,
    handle(ctx: Ctx): Handled {
      const route = `${ctx.method} ${ctx.path}`;
      const isMessages = route === "POST /v1/messages";
      const isCount = route === "POST /v1/messages/count_tokens";
      const isModels = ctx.method === "GET" && /^\/v1\/models(\/.+)?$/.test(ctx.path);
      if (!isMessages && !isCount && !isModels) return error(404, "not_found_error", "Not Found");
      const bearer = /^Bearer\s+(.+)$/i.exec(ctx.headers.authorization ?? "")?.[1];
      const key = ctx.headers["x-api-key"] ?? bearer;
      if (key === undefined)
        return error(401, "authentication_error", "x-api-key header is required");
      if (key !== cfg.apiKey) return error(401, "authentication_error", "invalid x-api-key");
      const version = ctx.headers["anthropic-version"];
      if (!version)
        return error(400, "invalid_request_error", "anthropic-version: header is required");
      // Newer SDKs send newer dated versions; only the date shape is checked.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(version))
        return error(
          400,
          "invalid_request_error",
          `anthropic-version: "${version}" is not a valid version`,
        );
      if (isModels) return models(ctx.path);
      const streaming: Streaming = isMessages && ctx.body?.stream === true ? "sse" : false;
      const betas = (ctx.headers["anthropic-beta"] ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      try {
        validateMessages(ctx.body, { countTokens: isCount, betas, signatures });
      } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        return error(e.status, String(e.extra.type), e.message, streaming);
      }
      if (isCount) {
        const b = ctx.body;
        const system =
          typeof b.system === "string"
            ? b.system
            : (b.system ?? []).map((x: any) => x.text).join(" ");
        const n = words([system, ...b.messages.map((m: any) => textOf(m.content))].join(" "));
        return {
          streaming,
          answer: {
            kind: "json",
            status: 200,
            body: JSON.stringify({ input_tokens: n }),
            headers: headers(),
          },
        };
      }
      return { streaming, generate: (reply) => generate(ctx.body, reply) };
    },
    errorFor(status: number, _streaming: Streaming, body?: unknown): JsonAnswer {
      if (body !== undefined)
        return {
          kind: "json",
          status,
          body: typeof body === "string" ? body : JSON.stringify(body),
          headers: headers(),
        };
      const [type, message] =
        ERROR_TYPES[status] ?? (status >= 500 ? ERROR_TYPES[500] : ERROR_TYPES[400]);
      return { kind: "json", status, body: errorJson(type, message), headers: headers() };
    },
    garbage(streaming: Streaming): JsonAnswer {
      if (streaming) {
        const body = `event: message_start\ndata: {"type":"message_start","message":{"id":\n\nevent: content_block_delta\ndata: <html>upstream proxy error</html>\n\n`;
        return {
          kind: "json",
          status: 200,
          body,
          headers: headers("text/event-stream; charset=utf-8"),
        };
      }
      return {
        kind: "json",
        status: 200,
        body: `{"model":"claude","id":"msg_garbage","type":"mess`,
        headers: headers(),
      };
    },
  };
}
