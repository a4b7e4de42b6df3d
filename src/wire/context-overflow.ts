import type { ContextTokens } from "../ir/error";

/**
 * The numbers in an upstream's context-overflow message. Every format's error decoder reads all
 * of these forms, not only its own API's: proxies and compatible servers relay one vendor's
 * message inside another's error shape (OpenRouter sends Anthropic's text as an OpenAI error).
 * Only messages already known to be overflows are read, so this is off the hot path.
 */

type Field = keyof ContextTokens;

/** Each form, and which number of it is which; earlier forms win a field both give. */
const FORMS: [RegExp, (Field | undefined)[]][] = [
  // Anthropic: "prompt is too long: 210000 tokens > 200000 maximum"
  [/prompt is too long:\s*(\d+) tokens? > (\d+)/i, ["input", "limit"]],
  // Anthropic: "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000"
  [
    /input length and `?max_tokens`? exceed context limit:\s*(\d+)\s*\+\s*(\d+)\s*>\s*(\d+)/i,
    ["input", "output", "limit"],
  ],
  // Gemini: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
  // (also without the first number)
  [/input token count \((\d+)\) exceeds/i, ["input"]],
  [/exceeds the maximum number of tokens allowed \((\d+)\)/i, ["limit"]],
  // OpenAI: "This model's maximum context length is 128000 tokens. However, you requested 130000
  // tokens (125000 in the messages, 5000 in the completion)." The total is left out: it is the sum.
  [
    /you requested (\d+) tokens \((\d+) in (?:the messages|your prompt)[;,] (\d+) (?:in|for) the completion\)/i,
    [undefined, "input", "output"],
  ],
  [/maximum context length is (\d+) tokens/i, ["limit"]],
  // OpenAI (GPT-5): "Input tokens exceed the configured limit of 272000 tokens. Your messages
  // resulted in 289650 tokens."; older: "However, your messages resulted in 5000 tokens."
  [/configured limit of (\d+) tokens/i, ["limit"]],
  [/messages resulted in (\d+) tokens/i, ["input"]],
  // vLLM: "…and your request has 5000 input tokens", "'max_tokens' … is too large: 4096."
  [/your request has (\d+) input tokens/i, ["input"]],
  [
    /max_(?:completion_)?tokens'? (?:or '?max_completion_tokens'? )?is too large: (\d+)/i,
    ["output"],
  ],
  // A bare total with no breakdown is all the input there is to go on.
  [/you requested (\d+) tokens/i, ["input"]],
];

/** The numbers `message` gives, or undefined when it gives none. */
export function overflowTokens(message: string): ContextTokens | undefined {
  let found: ContextTokens | undefined;
  for (const [pattern, fields] of FORMS) {
    const m = pattern.exec(message);
    if (!m) continue;
    fields.forEach((field, i) => {
      const n = Number(m[i + 1]);
      if (!field || !Number.isSafeInteger(n)) return;
      found ??= {};
      found[field] ??= n;
    });
  }
  return found;
}
