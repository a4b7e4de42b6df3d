import { routerError, type RouterError } from "../../ir/error";
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
  return relabel(decodeOpenAIError(status, body, headers));
}

/** An error object met inside a 200 answer or a stream (`response.failed`, an `error` event). */
export function decodeErrorObject(payload: unknown, fallback: string, cause: unknown): RouterError {
  return relabel(decodeOpenAIErrorObject(undefined, payload, fallback, undefined, cause));
}

const OPENAI_PREFIX = "upstream (openai): ";
const PREFIX = "upstream (responses): ";

function relabel(err: RouterError): RouterError {
  const message = err.message.startsWith(OPENAI_PREFIX)
    ? PREFIX + err.message.slice(OPENAI_PREFIX.length)
    : err.message;
  return routerError(err.code, message, {
    status: err.status,
    cause: err.cause,
    retryAfter: err.retryAfter,
    subtype: err.subtype,
    closeConnection: err.closeConnection,
  });
}
