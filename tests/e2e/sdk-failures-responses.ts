import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, generateText, streamText } from "ai";
import OpenAI from "openai";
import { TOKEN } from "./harness";
import {
  classifyOpenAI,
  failureOf,
  sdkClient,
  type Failure,
  type SdkClient,
  type StreamRun,
} from "./sdk-failures";

/**
 * The Responses API's two clients reduced to the calls the error tests need (see sdk-failures.ts).
 * A Responses stream fails with a `response.failed` event rather than an HTTP error: the failure
 * is then the error that event carries (its `code` and `message`; no status).
 */

// ---------------------------------------------------------------- openai SDK
function responsesClient(base: string): SdkClient {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  const classify = classifyOpenAI;
  return {
    kind: "responses",
    fail: (group, text = "hello") =>
      failureOf(() => client.responses.create({ model: group, input: text }), classify),
    async stream(group, text) {
      const run: StreamRun = { text: "", finish: undefined };
      try {
        const stream = await client.responses.create({ model: group, input: text, stream: true });
        for await (const e of stream) {
          if (e.type === "response.output_text.delta") run.text += e.delta;
          if (e.type === "response.completed" || e.type === "response.incomplete")
            run.finish = e.response.status;
          if (e.type === "response.failed") {
            const err = e.response.error;
            run.failure = {
              error: e,
              status: undefined,
              type: undefined,
              code: err?.code,
              message: err?.message ?? "",
              retryAfter: null,
            };
          }
        }
      } catch (e) {
        run.failure = classify(e);
      }
      return run;
    },
  };
}

// ---------------------------------------------------------------- AI SDK
interface StreamErrorPart {
  message: string;
  code?: string | number;
  statusCode?: number;
}

function aiSdkClient(base: string): SdkClient {
  const provider = createOpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN });
  /** An HTTP failure is an APICallError holding OpenAI's error body; an in-stream one a plain object. */
  const classify = (e: unknown): Failure => {
    if (APICallError.isInstance(e)) {
      const body = (e.data as { error?: { type?: string; code?: string | null } } | undefined)
        ?.error;
      return {
        error: e,
        status: e.statusCode,
        type: body?.type,
        code: body?.code,
        message: e.message,
        retryAfter: e.responseHeaders?.["retry-after"] ?? null,
      };
    }
    const part = e as StreamErrorPart;
    if (typeof part?.message !== "string") throw e;
    return {
      error: e,
      status: part.statusCode,
      type: undefined,
      code: part.code === undefined ? undefined : String(part.code),
      message: part.message,
      retryAfter: null,
    };
  };
  return {
    kind: "responses",
    fail: (group, text = "hello") =>
      failureOf(
        () => generateText({ model: provider.responses(group), prompt: text, maxRetries: 0 }),
        classify,
      ),
    async stream(group, text) {
      const run: StreamRun = { text: "", finish: undefined };
      const s = streamText({
        model: provider.responses(group),
        prompt: text,
        maxRetries: 0,
        onError: () => {},
      });
      for await (const part of s.fullStream) {
        if (part.type === "text-delta") run.text += part.text;
        // "error" and "interrupted" are the SDK's words for a stream that did not finish.
        if (part.type === "finish" && ["stop", "length", "tool-calls"].includes(part.finishReason))
          run.finish = part.finishReason;
        if (part.type === "error") run.failure ??= classify(part.error);
      }
      return run;
    },
  };
}

/** Every SDK of the error tests; the Responses API has two, the openai SDK's and the AI SDK's. */
export const SDK_CLIENTS = [
  { name: "openai", format: "openai", make: (b: string) => sdkClient("openai", b) },
  { name: "anthropic", format: "anthropic", make: (b: string) => sdkClient("anthropic", b) },
  { name: "gemini", format: "gemini", make: (b: string) => sdkClient("gemini", b) },
  { name: "openai-responses", format: "responses", make: responsesClient },
  { name: "ai-sdk-responses", format: "responses", make: aiSdkClient },
] as const;
export type ClientName = (typeof SDK_CLIENTS)[number]["name"];
