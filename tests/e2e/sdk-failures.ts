import Anthropic from "@anthropic-ai/sdk";
import { ApiError, GoogleGenAI, type Part } from "@google/genai";
import OpenAI from "openai";
import type { MockKind } from "../mocks";
import { TOKEN } from "./harness";

/**
 * One client per official SDK, reduced to the two calls the error tests need: a plain
 * generation that is expected to fail, and a stream read until it ends or throws. Failures come
 * back as the SDK raised them (for `instanceof` checks) plus the fields each SDK exposes, so the
 * tests assert what a user of that SDK would actually be able to see.
 */

export interface Failure {
  /** the thrown value itself: its class is what application code branches on */
  error: unknown;
  status: number | undefined;
  /** OpenAI `error.type`, Anthropic `error.type`, Gemini `error.status` */
  type: string | undefined;
  /** OpenAI `error.code`; undefined for the other SDKs */
  code: string | null | undefined;
  message: string;
  /** the `retry-after` header of the failed HTTP response; null when there was none */
  retryAfter: string | null;
}

export interface StreamRun {
  text: string;
  /** OpenAI finish_reason, Anthropic stop_reason, Gemini finishReason: absent unless the stream said so */
  finish: string | undefined;
  failure?: Failure;
}

export interface SdkClient {
  kind: MockKind;
  /** Rejects when the call succeeds: every caller expects a failure. */
  fail(group: string, text?: string): Promise<Failure>;
  stream(group: string, text: string): Promise<StreamRun>;
}

export async function failureOf(
  call: () => PromiseLike<unknown>,
  classify: (e: unknown) => Failure,
): Promise<Failure> {
  let result: unknown;
  try {
    result = await call();
  } catch (e) {
    return classify(e);
  }
  throw new Error(`expected the call to fail, it answered ${JSON.stringify(result).slice(0, 300)}`);
}

// ---------------------------------------------------------------- OpenAI
/** An error the openai SDK threw, as the error tests compare them (Chat and Responses alike). */
export function classifyOpenAI(e: unknown): Failure {
  if (!(e instanceof OpenAI.APIError)) throw e;
  return {
    error: e,
    status: e.status,
    type: e.type,
    code: e.code,
    message: e.message,
    retryAfter: e.headers?.get("retry-after") ?? null,
  };
}

function openaiClient(base: string): SdkClient {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  const classify = classifyOpenAI;
  return {
    kind: "openai",
    fail: (group, text = "hello") =>
      failureOf(
        () =>
          client.chat.completions.create({
            model: group,
            messages: [{ role: "user", content: text }],
          }),
        classify,
      ),
    async stream(group, text) {
      const run: StreamRun = { text: "", finish: undefined };
      try {
        const stream = await client.chat.completions.create({
          model: group,
          messages: [{ role: "user", content: text }],
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const chunk of stream) {
          run.text += chunk.choices[0]?.delta?.content ?? "";
          run.finish = chunk.choices[0]?.finish_reason ?? run.finish;
        }
      } catch (e) {
        run.failure = classify(e);
      }
      return run;
    },
  };
}

// ---------------------------------------------------------------- Anthropic
function anthropicClient(base: string): SdkClient {
  const client = new Anthropic({ baseURL: base, apiKey: TOKEN, maxRetries: 0 });
  const classify = (e: unknown): Failure => {
    if (!(e instanceof Anthropic.APIError)) throw e;
    return {
      error: e,
      status: e.status,
      type: e.type ?? undefined,
      code: undefined,
      message: e.apiMessage ?? e.message,
      retryAfter: e.headers?.get("retry-after") ?? null,
    };
  };
  const messages = (text: string): Anthropic.MessageParam[] => [{ role: "user", content: text }];
  return {
    kind: "anthropic",
    fail: (group, text = "hello") =>
      failureOf(
        () => client.messages.create({ model: group, max_tokens: 256, messages: messages(text) }),
        classify,
      ),
    async stream(group, text) {
      const run: StreamRun = { text: "", finish: undefined };
      try {
        // The raw event stream, not messages.stream(): its helper would paper over a missing message_stop.
        const stream = await client.messages.create({
          model: group,
          max_tokens: 256,
          messages: messages(text),
          stream: true,
        });
        for await (const event of stream) {
          if (event.type === "content_block_delta" && event.delta.type === "text_delta")
            run.text += event.delta.text;
          if (event.type === "message_delta") run.finish = event.delta.stop_reason ?? run.finish;
        }
      } catch (e) {
        run.failure = classify(e);
      }
      return run;
    },
  };
}

// ---------------------------------------------------------------- Gemini
function geminiClient(base: string): SdkClient {
  // ApiError carries no headers, so the SDK's own transport is wrapped to see the response it got.
  let lastHeaders: Headers | undefined;
  const client = new GoogleGenAI({
    apiKey: TOKEN,
    httpOptions: {
      baseUrl: base,
      fetch: async (...[input, init]: Parameters<typeof fetch>) => {
        lastHeaders = undefined;
        const res = await fetch(input, init);
        lastHeaders = res.headers;
        return res;
      },
    },
  });
  const classify = (e: unknown): Failure => {
    if (!(e instanceof ApiError)) throw e;
    // HTTP errors carry the body as JSON; in-stream errors prefix it with "got status: …. ".
    const json = e.message.slice(e.message.indexOf("{"));
    let err: { message?: string; status?: string } = {};
    try {
      err = (JSON.parse(json) as { error?: typeof err }).error ?? {};
    } catch {
      err = { message: e.message };
    }
    return {
      error: e,
      status: e.status,
      type: err.status,
      code: undefined,
      message: err.message ?? e.message,
      retryAfter: lastHeaders?.get("retry-after") ?? null,
    };
  };
  return {
    kind: "gemini",
    fail: (group, text = "hello") =>
      failureOf(() => client.models.generateContent({ model: group, contents: text }), classify),
    async stream(group, text) {
      const run: StreamRun = { text: "", finish: undefined };
      try {
        for await (const res of await client.models.generateContentStream({
          model: group,
          contents: text,
        })) {
          const parts: Part[] = res.candidates?.[0]?.content?.parts ?? [];
          run.text += parts.map((p) => (p.thought ? "" : (p.text ?? ""))).join("");
          run.finish = res.candidates?.[0]?.finishReason ?? run.finish;
        }
      } catch (e) {
        run.failure = classify(e);
      }
      return run;
    },
  };
}

export function sdkClient(kind: MockKind, base: string): SdkClient {
  return kind === "openai"
    ? openaiClient(base)
    : kind === "anthropic"
      ? anthropicClient(base)
      : geminiClient(base);
}
