import { isRouterError, type IRRequest } from "../ir";
import { codecContext } from "../wire";
import type { RoutedCall } from "./outcome";

// The vocabulary is a 2 MB table: load it on the first estimate, not at every startup.
let tokenizer:
  | Promise<{ countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number }>
  | undefined;

/** Names of special tokens ("<|endoftext|>") in a client's text are text: the tokenizer would refuse them. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };
/**
 * The longest run of one kind of character (letters, digits, spaces, other) the tokenizer sees
 * whole. Its merges cost the square of a run's length: 100 KB of letters without a space took
 * 19 s. Longer runs are cut, which costs about one token per cut.
 */
const MAX_RUN = 64;
/**
 * Text up to this length is counted exactly; longer text by evenly spaced samples of this much in
 * all, scaled up. The tokenizer takes ~25 ns a character of English prose but up to ~2 µs of
 * Chinese it has not seen before, so this bounds an estimate to about a quarter of a second
 * whatever the request holds; samples of ordinary text land within 1% of the exact count.
 */
const EXACT_CHARS = 128 * 1024;
const SAMPLES = 32;
/**
 * Routing weighs every request of a windowed group, on the event loop, before any upstream is
 * called: it samples an eighth as much (tens of milliseconds at worst), close enough to tell a
 * window apart and keeps a client from buying a quarter second of CPU per request.
 */
const ROUTING_EXACT_CHARS = 16 * 1024;

/**
 * A local token count for upstreams without a counting endpoint (OpenAI). It uses a real BPE
 * tokenizer (o200k, OpenAI's current vocabulary) over everything the model would read: system,
 * message text, tool calls and results, and tool definitions. Other vendors' tokenizers differ,
 * so responses say it is an estimate. Its cost is linear in the text, and bounded past 128 Ki characters.
 */
export async function estimateInputTokens(
  req: IRRequest,
  exactChars = EXACT_CHARS,
): Promise<number> {
  const { countTokens } = await (tokenizer ??= import("gpt-tokenizer/encoding/o200k_base"));
  const texts: string[] = req.system.map((p) => p.text);
  for (const m of req.messages) {
    for (const p of m.parts) {
      if (p.type === "text") texts.push(p.text);
      else if (p.type === "reasoning") texts.push(p.text);
      else if (p.type === "tool_call") texts.push(p.name, JSON.stringify(p.args));
      else if (p.type === "tool_result")
        for (const c of p.content) if (c.type === "text") texts.push(c.text);
    }
  }
  for (const t of req.tools) texts.push(t.name, t.description ?? "", JSON.stringify(t.schema));
  // Each message and media item costs a few framing tokens beyond its text; images a flat ~85.
  const framing = req.messages.length * 4 + countMedia(req) * 85;
  return countText(texts.join("\n"), (s) => countTokens(s, AS_TEXT), exactChars) + framing;
}

/**
 * A request's size as routing weighs it against context windows: the estimated input tokens of
 * the client's body, decoded with its own format's codec, and the output tokens it asked for at
 * most (`max_tokens` and its kin), when it set a limit.
 *
 * A body its codec cannot decode is estimated at zero rather than refused: routing must not turn
 * away what passthrough would forward untouched (decoders are stricter than upstreams), and a
 * converted request meets the same decode error, with its field named, when it is converted.
 */
export async function estimateRequest(
  call: RoutedCall,
): Promise<{ input: number; output?: number }> {
  const { client } = call;
  const body =
    call.op === "countTokens" && client.countTokens
      ? client.countTokens.request(call.body)
      : call.body;
  const ir = client.codec.decodeRequest(body, codecContext(call.group, client));
  if (isRouterError(ir)) return { input: 0 };
  const input = await estimateInputTokens(ir, ROUTING_EXACT_CHARS);
  return ir.maxTokens !== undefined ? { input, output: ir.maxTokens } : { input };
}

/** Tokens of `text` by `count`, exact up to EXACT_CHARS, else scaled up from samples spread over it. */
export function countText(
  text: string,
  count: (s: string) => number,
  exactChars = EXACT_CHARS,
): number {
  if (text.length <= exactChars) return countInRuns(text, count);
  const size = Math.floor(exactChars / SAMPLES);
  const step = (text.length - size) / (SAMPLES - 1);
  let tokens = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const at = Math.round(i * step);
    tokens += countInRuns(text.slice(at, at + size), count);
  }
  return Math.round((tokens * text.length) / (size * SAMPLES));
}

/** Counts `text` in pieces cut wherever a run of one kind of character reaches MAX_RUN. */
function countInRuns(text: string, count: (s: string) => number): number {
  let tokens = 0;
  let from = 0;
  let runStart = 0;
  let kind = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const k = kindOf(c);
    if (k !== kind) {
      kind = k;
      runStart = i;
    } else if (i - runStart >= MAX_RUN && (c < 0xdc00 || c > 0xdfff)) {
      // Never between the halves of a surrogate pair.
      tokens += count(text.slice(from, i));
      from = runStart = i;
    }
  }
  return tokens + (from === 0 ? count(text) : count(text.slice(from)));
}

/**
 * 0 whitespace, 1 digit, 2 letter, 3 other. Non-ASCII counts as a letter but for the common
 * punctuation blocks (Latin-1, general, CJK, fullwidth): Chinese or Japanese prose then breaks
 * into its sentences' runs as the tokenizer does, and is counted exactly.
 */
function kindOf(c: number): number {
  if (c >= 128)
    return (c >= 0xa0 && c <= 0xbf) ||
      c === 0xd7 ||
      c === 0xf7 ||
      (c >= 0x2000 && c <= 0x206f) ||
      (c >= 0x3000 && c <= 0x303f) ||
      (c >= 0xff00 && c <= 0xff0f) ||
      (c >= 0xff1a && c <= 0xff20) ||
      (c >= 0xff3b && c <= 0xff40) ||
      (c >= 0xff5b && c <= 0xff65)
      ? 3
      : 2;
  if (c === 32 || (c >= 9 && c <= 13)) return 0;
  if (c >= 48 && c <= 57) return 1;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return 2;
  return 3;
}

function countMedia(req: IRRequest): number {
  let n = 0;
  for (const m of req.messages)
    for (const p of m.parts) if (p.type === "image" || p.type === "file") n++;
  return n;
}
