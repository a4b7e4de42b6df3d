import { expect } from "bun:test";
import type { RouterError, StatusQuirks } from "../../../src/ir";
import type { FormatId } from "../../../src/wire";

/**
 * The few facts about a wire format the contract suite cannot ask its `Format` object: how its
 * clients call (paths, headers), which body fields it requires. Everything a test sends or
 * expects (request bodies, answers, streams, errors) is built by the format's own codec from
 * the neutral form, so an entry stays a handful of lines.
 */
export interface FormatSpec {
  /** The headers this format's clients send with the router token (what `clientMarks` names). */
  clientHeaders(token: string): Record<string, string>;
  /** Where this format's clients POST a generation for `group`, streamed or not. */
  call(group: string, stream: boolean): string;
  /** Every model call path the format serves (`routes`), for `group`. */
  routes(group: string): string[];
  /** A path under the format's own prefix that names no operation it serves. */
  unknownPath(group: string): string;
  /** Top-level body fields `peekRequest` refuses a generation without. */
  required: string[];
  /** Request fields of the neutral form the format has no way to say: left out of its round trip. */
  unexpressed?: string[];
  /**
   * The format whose model listing its clients get on `/v1/models`, when they carry no mark of
   * their own (Responses clients are OpenAI's: the same key, the same listing).
   */
  listsAs?: FormatId;
  /** The data of the format's in-stream error event, when it is not the error answer's body. */
  streamErrorData?(err: RouterError): unknown;
  /** The statuses the format numbers differently (`statusFor`'s quirks). */
  statusQuirks?: StatusQuirks;
  /** Tests not run for this format, each group with the reason why. */
  skip?: Skip[];
}

export interface Skip {
  reason: string;
  /** Test names as the suite spells them. */
  tests: string[];
}

/** One entry per registered format: a new format that lacks one does not compile. */
export const SPECS: Record<FormatId, FormatSpec> = {
  openai: {
    clientHeaders: (token) => ({ authorization: `Bearer ${token}` }),
    call: () => "/v1/chat/completions",
    routes: () => ["/v1/chat/completions", "/chat/completions"],
    unknownPath: () => "/v1/chat/nothing",
    required: ["model", "messages"],
  },
  anthropic: {
    clientHeaders: (token) => ({ "x-api-key": token, "anthropic-version": "2023-06-01" }),
    call: () => "/v1/messages",
    routes: () => ["/v1/messages", "/v1/messages/count_tokens"],
    unknownPath: () => "/v1/messages/nothing",
    required: ["model", "messages", "max_tokens"],
    statusQuirks: { overloaded: 529, insufficientQuota: 402 },
  },
  gemini: {
    clientHeaders: (token) => ({ "x-goog-api-key": token }),
    call: (group, stream) =>
      `/v1beta/models/${group}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    routes: (group) => [
      `/v1beta/models/${group}:generateContent`,
      `/v1beta/models/${group}:streamGenerateContent?alt=sse`,
      `/v1beta/models/${group}:streamGenerateContent`,
      `/v1beta/models/${group}:countTokens`,
      `/v1/models/${group}:generateContent`,
    ],
    unknownPath: (group) => `/v1beta/models/${group}:nothing`,
    required: ["contents"],
    skip: [
      {
        reason:
          "Gemini's errors have no mark for these: an exhausted quota is RESOURCE_EXHAUSTED like " +
          "any rate limit, and an overflow an INVALID_ARGUMENT known only by its wording",
        tests: [
          "errors: insufficient_quota is still one when the format reads its own answer and event",
          "errors: context_length_exceeded is still one when the format reads its own answer and event",
        ],
      },
    ],
  },
  responses: {
    clientHeaders: (token) => ({ authorization: `Bearer ${token}` }),
    call: () => "/v1/responses",
    routes: () => [
      "/v1/responses",
      "/responses",
      "/v1/responses/input_tokens",
      "/responses/input_tokens",
    ],
    unknownPath: () => "/v1/responses/nothing",
    required: ["model"],
    unexpressed: ["stop"],
    listsAs: "openai",
    // A stream fails with `response.failed`, its response carrying the error's code and message.
    streamErrorData: (err) => ({
      type: "response.failed",
      response: expect.objectContaining({
        object: "response",
        status: "failed",
        error: { code: expect.any(String), message: err.message },
      }),
    }),
  },
};
