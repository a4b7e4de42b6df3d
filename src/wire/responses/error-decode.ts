import type { RouterError } from "../../ir/error";
import {
  decodeError as decodeOpenAIError,
  decodeErrorObject as decodeOpenAIErrorObject,
} from "../openai/error-decode";

/**
 * The Responses API answers errors in OpenAI's shape, so OpenAI's reading applies (statuses,
 * `context_length_exceeded` and `insufficient_quota` as subtypes, rate limits, retry-after);
 * only the message names this upstream, so logs and clients see which API failed.
 */
export function decodeError(status: number, body: string, headers: Headers): RouterError {
  return decodeOpenAIError(status, body, headers, "responses");
}

/** An error object met inside a 200 answer or a stream (`response.failed`, an `error` event). */
export function decodeErrorObject(payload: unknown, fallback: string, cause: unknown): RouterError {
  return decodeOpenAIErrorObject(undefined, payload, fallback, undefined, cause, "responses");
}
