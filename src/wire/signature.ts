import type { Signature } from "../ir";

/**
 * Reasoning signatures handed to a client of another format carry their origin, so they can
 * be recognised on the way back and replayed only to the kind of upstream that issued them.
 * Inside Gemini's thoughtSignature (which SDKs decode as base64 bytes) the tag must itself be
 * valid base64, so foreign signatures are wrapped as base64 of "<tag>:<value>".
 */
const TAG: Record<Signature["source"], string> = {
  anthropic: "llmr-a1",
  gemini: "llmr-g1",
  responses: "llmr-r1",
};
const SOURCES = Object.keys(TAG);

/** For an Anthropic client's `thinking.signature`, or an OpenAI client's carrier fields. */
export function signatureToText(sig: Signature, client: Signature["source"] | "openai"): string {
  return sig.source === client ? sig.value : `${TAG[sig.source]}:${sig.value}`;
}

export function signatureFromText(
  value: string,
  client: Signature["source"] | "openai",
): Signature | undefined {
  for (const source of SOURCES) {
    if (value.startsWith(TAG[source] + ":"))
      return { source, value: value.slice(TAG[source].length + 1) };
  }
  if (client === "openai") return undefined;
  return { source: client, value };
}

/** For a Gemini client's thoughtSignature: native ones raw, foreign ones wrapped in base64. */
export function signatureToGemini(sig: Signature): string {
  return sig.source === "gemini"
    ? sig.value
    : Buffer.from(`${TAG[sig.source]}:${sig.value}`).toString("base64");
}

export function signatureFromGemini(value: string): Signature {
  const decoded = Buffer.from(value, "base64").toString("latin1");
  for (const source of SOURCES) {
    if (decoded.startsWith(TAG[source] + ":"))
      return {
        source,
        value: Buffer.from(value, "base64")
          .toString("utf8")
          .slice(TAG[source].length + 1),
      };
  }
  return { source: "gemini", value };
}
