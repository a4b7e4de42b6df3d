// Gemini generateContent upstream: routes, key auth, and the wire shapes recorded from
// generativelanguage.googleapis.com (pretty JSON bodies, CRLF SSE, progressive JSON array).
import type { Answer, Ctx, Handled, JsonAnswer, Provider, Reply, Streaming } from "../types.ts";
import { Invalid, googleCompact, makePlan, randomId, splitText, words } from "../util.ts";
import { get } from "./fields.ts";
import { callKey, validateCount, validateGenerate, type SignatureState } from "./validate.ts";

const MODELS = [
  { id: "gemini-2.5-flash", displayName: "Gemini 2.5 Flash" },
  { id: "gemini-2.5-pro", displayName: "Gemini 2.5 Pro" },
];
const STATUS: Record<number, [string, string]> = {
  400: ["INVALID_ARGUMENT", "Request contains an invalid argument."],
  401: [
    "UNAUTHENTICATED",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
  ],
  403: [
    "PERMISSION_DENIED",
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  ],
  404: [
    "NOT_FOUND",
    "models/gemini-2.5-flash is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.",
  ],
  429: [
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
  ],
  500: [
    "INTERNAL",
    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  ],
  503: ["UNAVAILABLE", "The model is overloaded. Please try again later."],
  504: ["DEADLINE_EXCEEDED", "Deadline expired before operation could complete."],
};
const KEY_INVALID_DETAILS = [
  {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    reason: "API_KEY_INVALID",
    domain: "googleapis.com",
    metadata: { service: "generativelanguage.googleapis.com" },
  },
  {
    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
    locale: "en-US",
    message: "API key not valid. Please pass a valid API key.",
  },
];
const JSON_TYPE = "application/json; charset=UTF-8";

function textOf(parts: unknown): string {
  if (!Array.isArray(parts)) return "";
  return parts
    .map((p: any) => {
      if (typeof get(p, "text") === "string" && !get(p, "thought")) return get(p, "text");
      const r = get(p, "functionResponse");
      if (!r) return "";
      const resp = get(r, "response");
      return typeof resp?.content === "string" ? resp.content : JSON.stringify(resp ?? {});
    })
    .join("");
}

export function createGemini(cfg: { apiKey: string; modelSuffix: string }): Provider {
  const sigs: SignatureState = { issued: new Set(), signedCalls: new Set() };
  let sigCount = 0;
  // Signatures are opaque bytes to Google's SDKs, so they must be valid base64.
  const newSig = () =>
    Buffer.from(`mock-gemini-thought-signature-${++sigCount}`).toString("base64");

  function errorAnswer(
    status: number,
    message: string,
    streaming: Streaming,
    details?: unknown[],
  ): JsonAnswer {
    const error: Record<string, unknown> = {
      code: status,
      message,
      status: (STATUS[status] ?? STATUS[status >= 500 ? 500 : 400])[0],
    };
    if (details) error.details = details;
    // The array mode answers errors inside the array; SSE requests keep the event-stream type.
    const body =
      streaming === "array"
        ? JSON.stringify([{ error }], null, 2)
        : JSON.stringify({ error }, null, 2);
    return {
      kind: "json",
      status,
      body,
      headers: { "content-type": streaming === "sse" ? "text/event-stream" : JSON_TYPE },
    };
  }
  function reject(
    status: number,
    message: string,
    streaming: Streaming,
    details?: unknown[],
  ): Handled {
    return {
      streaming,
      rejected: { status, message },
      answer: errorAnswer(status, message, streaming, details),
    };
  }

  function generate(modelId: string, body: any, streaming: Streaming, reply: Reply): Answer {
    const contents: any[] = get(body, "contents");
    const lastUser = contents.findLast((c) => (c.role ?? "user") === "user");
    const system = get(body, "systemInstruction");
    const allText = [
      textOf(system ? get(system, "parts") : []),
      ...contents.map((c) => textOf(c.parts)),
    ].join(" ");
    const plan = makePlan(reply, lastUser ? textOf(lastUser.parts) : "", allText, (name) => {
      const decls = (get(body, "tools") ?? []).flatMap((t: any) => get(t, "functionDeclarations"));
      const fd = decls.find((d: any) => d?.name === name);
      return fd && (get(fd, "parametersJsonSchema") ?? get(fd, "parameters"));
    });
    const mainSig = plan.thinking ? (plan.thinking.signature ?? newSig()) : undefined;
    const thoughtSig = plan.thinking ? (plan.calls.length ? newSig() : mainSig) : undefined;
    const callParts = plan.calls.map((c, i) => {
      const fc: Record<string, unknown> = c.id
        ? { id: c.id, name: c.name, args: c.args }
        : { name: c.name, args: c.args };
      // Only the first call of a batch is signed, as Gemini 3 does.
      return i === 0 && mainSig
        ? { functionCall: fc, thoughtSignature: mainSig }
        : { functionCall: fc };
    });
    for (const s of [mainSig, thoughtSig]) if (s) sigs.issued.add(s);
    if (mainSig && plan.calls.length)
      sigs.signedCalls.add(callKey(plan.calls[0].name, plan.calls[0].args));

    const finishReason = plan.finish ?? "STOP";
    const { input, output, reasoning } = plan.usage;
    const details = [{ modality: "TEXT", tokenCount: input }];
    const fullUsage: Record<string, unknown> = {
      promptTokenCount: input,
      candidatesTokenCount: output - reasoning,
      totalTokenCount: input + output,
      promptTokensDetails: details,
    };
    if (plan.thinking) fullUsage.thoughtsTokenCount = reasoning;
    const partialUsage = {
      promptTokenCount: input,
      totalTokenCount: input,
      promptTokensDetails: details,
    };
    const modelVersion = `${modelId}${cfg.modelSuffix}`;
    const responseId = randomId("", 23);
    const response = (parts: unknown[], final: boolean) => ({
      candidates: [
        { content: { parts, role: "model" }, ...(final ? { finishReason } : {}), index: 0 },
      ],
      usageMetadata: final ? fullUsage : partialUsage,
      modelVersion,
      responseId,
    });

    if (!streaming) {
      const parts: unknown[] = [];
      if (plan.thinking)
        parts.push({ text: plan.thinking.text, thought: true, thoughtSignature: thoughtSig });
      if (plan.text) parts.push({ text: plan.text });
      parts.push(...callParts);
      if (!parts.length) parts.push({ text: "" });
      return {
        kind: "json",
        status: 200,
        body: JSON.stringify(response(parts, true), null, 2),
        headers: { "content-type": JSON_TYPE },
      };
    }

    const chunks: unknown[] = [];
    const thoughts = splitText(plan.thinking?.text ?? "", plan.chunks);
    thoughts.forEach((t, i) => {
      const p: Record<string, unknown> = { text: t, thought: true };
      if (i === thoughts.length - 1) p.thoughtSignature = thoughtSig;
      chunks.push(response([p], false));
    });
    const texts = splitText(plan.text, plan.chunks);
    texts.forEach((t, i) =>
      chunks.push(response([{ text: t }], i === texts.length - 1 && !callParts.length)),
    );
    // Calls arrive whole in one event; the turn then ends with an empty text part and the
    // finish reason, exactly as recorded from the live API.
    if (callParts.length) chunks.push(response(callParts, false));
    if (callParts.length || !texts.length) chunks.push(response([{ text: "" }], true));

    const overloaded = { error: { code: 503, message: STATUS[503][1], status: "UNAVAILABLE" } };
    if (streaming === "sse") {
      return {
        kind: "stream",
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
        events: chunks.map((c) => `data: ${googleCompact(c)}\r\n\r\n`),
        terminal: 1,
        errorEvent: `data: ${googleCompact(overloaded)}\r\n\r\n`,
      };
    }
    return {
      kind: "stream",
      headers: { "content-type": JSON_TYPE },
      events: chunks.map((c) => JSON.stringify(c, null, 2)),
      terminal: 1,
      errorEvent: JSON.stringify(overloaded, null, 2),
      open: "[",
      sep: "\n,\r\n",
      close: "\n]",
    };
  }

  function models(id?: string): Handled {
    const item = (m: (typeof MODELS)[number]) => ({
      name: `models/${m.id}`,
      version: "001",
      displayName: m.displayName,
      description: `Mock of ${m.displayName}`,
      inputTokenLimit: 1048576,
      outputTokenLimit: 65536,
      supportedGenerationMethods: ["generateContent", "countTokens"],
      temperature: 1,
      topP: 0.95,
      topK: 64,
      maxTemperature: 2,
      thinking: true,
    });
    if (id) {
      const m = MODELS.find((x) => x.id === id);
      if (!m)
        return reject(
          404,
          `models/${id} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
          false,
        );
      return {
        streaming: false,
        answer: {
          kind: "json",
          status: 200,
          body: JSON.stringify(item(m), null, 2),
          headers: { "content-type": JSON_TYPE },
        },
      };
    }
    return {
      streaming: false,
      answer: {
        kind: "json",
        status: 200,
        body: JSON.stringify({ models: MODELS.map(item) }, null, 2),
        headers: { "content-type": JSON_TYPE },
      },
    };
  }

  return {
    apiBase: (url) => `${url}/v1beta`,
    overloadedStatus: 503,
    handle(ctx: Ctx): Handled {
      // The API serves both versions, and @google/genai defaults to v1.
      const call =
        /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/.exec(
          ctx.path,
        );
      const list =
        ctx.method === "GET" ? /^\/v1(?:beta)?\/models(?:\/([^/:]+))?$/.exec(ctx.path) : null;
      const streaming: Streaming =
        call?.[2] === "streamGenerateContent"
          ? ctx.url.searchParams.get("alt") === "sse"
            ? "sse"
            : "array"
          : false;
      if ((!call || ctx.method !== "POST") && !list)
        return reject(404, `Method not found: ${ctx.method} ${ctx.path}`, false);
      const key = ctx.headers["x-goog-api-key"] ?? ctx.url.searchParams.get("key") ?? undefined;
      if (key === undefined) {
        if (ctx.headers.authorization) return reject(401, STATUS[401][1], streaming);
        return reject(403, STATUS[403][1], streaming);
      }
      if (key !== cfg.apiKey)
        return reject(
          400,
          "API key not valid. Please pass a valid API key.",
          streaming,
          KEY_INVALID_DETAILS,
        );
      if (list) return models(list[1] && decodeURIComponent(list[1]));
      const [, modelId, method] = call!;
      try {
        if (method === "countTokens") validateCount(ctx.body, sigs);
        else validateGenerate(ctx.body, "GenerateContentRequest", "", sigs);
      } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        return reject(e.status, e.message, streaming, e.extra.details as unknown[] | undefined);
      }
      if (method === "countTokens") {
        const inner = get(ctx.body, "generateContentRequest");
        const src = inner ?? ctx.body;
        const sys = get(src, "systemInstruction");
        const n = words(
          [
            textOf(sys ? get(sys, "parts") : []),
            ...get(src, "contents").map((c: any) => textOf(get(c, "parts"))),
          ].join(" "),
        );
        const out = { totalTokens: n, promptTokensDetails: [{ modality: "TEXT", tokenCount: n }] };
        return {
          streaming,
          answer: {
            kind: "json",
            status: 200,
            body: JSON.stringify(out, null, 2),
            headers: { "content-type": JSON_TYPE },
          },
        };
      }
      return {
        streaming,
        generate: (reply) => generate(decodeURIComponent(modelId), ctx.body, streaming, reply),
      };
    },
    errorFor(status: number, streaming: Streaming, body?: unknown): JsonAnswer {
      if (body === undefined)
        return errorAnswer(
          status,
          (STATUS[status] ?? STATUS[status >= 500 ? 500 : 400])[1],
          streaming,
        );
      return {
        kind: "json",
        status,
        body: typeof body === "string" ? body : JSON.stringify(body),
        headers: { "content-type": JSON_TYPE },
      };
    },
    garbage(streaming: Streaming): JsonAnswer {
      if (streaming === "sse")
        return {
          kind: "json",
          status: 200,
          body: `data: {"candidates": [{"content": {"parts": [{"text": \r\n\r\ndata: <html>upstream proxy error</html>\r\n\r\n`,
          headers: { "content-type": "text/event-stream" },
        };
      if (streaming === "array")
        return {
          kind: "json",
          status: 200,
          body: `[{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {"text": \n,\r\n<html>`,
          headers: { "content-type": JSON_TYPE },
        };
      return {
        kind: "json",
        status: 200,
        body: `{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "text": "unterminated`,
        headers: { "content-type": JSON_TYPE },
      };
    },
  };
}
