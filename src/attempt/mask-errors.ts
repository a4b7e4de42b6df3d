import { RouterError, type StreamEvent } from "../ir";
import type { SecretMask } from "../log";
import type { StreamDecoder } from "../wire/codec";
import type { AttemptOutcome } from "./outcome";

/**
 * Upstream error text reaches clients in converted errors (the codecs carry the provider's
 * message over into the client's format), and providers, compat servers and proxies often quote
 * the key they were sent. Every such message passes through the config's secrets first.
 */

/** The error with its message masked: the same object when it quoted no secret. */
function maskedError(error: RouterError, secrets: SecretMask): RouterError {
  const message = secrets.text(error.message);
  if (message === error.message) return error;
  const { status, cause, retryAfter, subtype, closeConnection, tokens } = error;
  return new RouterError(error.code, message, {
    status,
    cause,
    retryAfter,
    subtype,
    closeConnection,
    tokens,
  });
}

/** A failed outcome's error masked; a committed one is left to its stream. */
export function maskedOutcome(outcome: AttemptOutcome, secrets: SecretMask): AttemptOutcome {
  if (outcome.kind !== "failed") return outcome;
  const error = maskedError(outcome.error, secrets);
  return error === outcome.error ? outcome : { ...outcome, error };
}

/**
 * A decoder whose error events carry masked messages, so an in-stream error (after the answer
 * began) and one that ends the attempt before it are both clean. Without secrets, the decoder itself.
 */
export function maskingErrors(decoder: StreamDecoder, secrets: SecretMask): StreamDecoder {
  if (secrets.size === 0) return decoder;
  const mask = (events: StreamEvent[]) => {
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.type === "error") events[i] = { ...e, error: maskedError(e.error, secrets) };
    }
    return events;
  };
  return {
    push: (frame) => mask(decoder.push(frame)),
    phase: () => decoder.phase?.() ?? "open",
    end: () => mask(decoder.end()),
  };
}
