// What every api.openai.com endpoint shares, for the Chat Completions and Responses mocks alike:
// the error envelope, Bearer auth with its exact 401 messages, the default bodies of status
// faults, and GET /v1/models.
import type { Handled, JsonAnswer, Streaming } from "../types.ts";
import { randomId } from "../util.ts";

export const jsonHeaders = () => ({
  "content-type": "application/json",
  "x-request-id": randomId("req_", 32),
});

type ErrorFields = [message: string, type: string, param: string | null, code: string | null];

/**
 * OpenAI's error envelope, pretty-printed as each endpoint does: Chat Completions errors come
 * indented by four spaces, Responses errors by two (as quoted raw in openai/codex#6725).
 * `overrides` replaces the default body of a status fault for some statuses.
 */
export function openaiErrors(indent: 2 | 4, overrides: Record<number, ErrorFields> = {}) {
  const errorBody = (
    message: string,
    type: string,
    param: string | null = null,
    code: string | null = null,
  ) => `${JSON.stringify({ error: { message, type, param, code } }, null, indent)}\n`;

  /** A refused request with the given status. */
  function openaiError(
    status: number,
    message: string,
    type: string,
    param: string | null = null,
    code: string | null = null,
  ): Handled {
    return {
      streaming: false,
      rejected: { status, message },
      answer: {
        kind: "json",
        status,
        body: errorBody(message, type, param, code),
        headers: jsonHeaders(),
      },
    };
  }

  function authFailure(headers: Record<string, string>, apiKey: string): Handled | null {
    const h = headers.authorization;
    if (!h) {
      return openaiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
      );
    }
    const key = h.replace(/^Bearer\s+/i, "");
    if (!/^Bearer\s/i.test(h) || key !== apiKey) {
      const shown = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : key;
      return openaiError(
        401,
        `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        "invalid_request_error",
        null,
        "invalid_api_key",
      );
    }
    return null;
  }

  /** OpenAI's own body for a status fault. */
  function errorFor(status: number, _streaming: Streaming, body?: unknown): JsonAnswer {
    const headers = jsonHeaders();
    if (body !== undefined)
      return {
        kind: "json",
        status,
        body: typeof body === "string" ? body : JSON.stringify(body),
        headers,
      };
    const [message, type, param, code] = overrides[status] ?? defaultError(status);
    return { kind: "json", status, body: errorBody(message, type, param, code), headers };
  }

  return { openaiError, authFailure, errorFor };
}

export function listModels(path: string, models: string[]): Handled {
  const item = (m: string) => ({
    id: m,
    object: "model",
    created: 1715367049,
    owned_by: "system",
  });
  const one = /^\/v1\/models\/(.+)$/.exec(path);
  const out = one ? item(decodeURIComponent(one[1])) : { object: "list", data: models.map(item) };
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

function defaultError(status: number): ErrorFields {
  if (status === 401)
    return [
      "Incorrect API key provided: sk-*****. You can find your API key at https://platform.openai.com/account/api-keys.",
      "invalid_request_error",
      null,
      "invalid_api_key",
    ];
  if (status === 403)
    return [
      "Country, region, or territory not supported",
      "request_forbidden",
      null,
      "unsupported_country_region_territory",
    ];
  if (status === 404)
    return [
      "The model `gpt-4o` does not exist or you do not have access to it.",
      "invalid_request_error",
      null,
      "model_not_found",
    ];
  if (status === 429)
    return [
      "Rate limit reached for gpt-4o in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
      "requests",
      null,
      "rate_limit_exceeded",
    ];
  if (status === 503)
    return [
      "The engine is currently overloaded, please try again later",
      "server_error",
      null,
      null,
    ];
  if (status >= 500)
    return [
      "The server had an error while processing your request. Sorry about that!",
      "server_error",
      null,
      null,
    ];
  return ["Bad request", "invalid_request_error", null, null];
}
