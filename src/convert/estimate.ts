import type { IRRequest } from "../ir";

// The vocabulary is a 2 MB table: load it on the first estimate, not at every startup.
let tokenizer: Promise<{ countTokens(text: string): number }> | undefined;

/**
 * A local token count for upstreams without a counting endpoint (OpenAI). It uses a real BPE
 * tokenizer (o200k, OpenAI's current vocabulary) over everything the model would read: system,
 * message text, tool calls and results, and tool definitions. Other vendors' tokenizers differ,
 * so responses say it is an estimate.
 */
export async function estimateInputTokens(req: IRRequest): Promise<number> {
  const { countTokens } = await (tokenizer ??= import("gpt-tokenizer/encoding/o200k_base"));
  const texts: string[] = req.system.map((p) => p.text);
  for (const m of req.messages) {
    for (const p of m.parts) {
      if (p.type === "text") texts.push(p.text);
      else if (p.type === "reasoning") texts.push(p.text);
      else if (p.type === "tool_call") texts.push(p.name, JSON.stringify(p.args));
      else if (p.type === "tool_result") for (const c of p.content) if (c.type === "text") texts.push(c.text);
    }
  }
  for (const t of req.tools) texts.push(t.name, t.description ?? "", JSON.stringify(t.schema));
  // Each message and media item costs a few framing tokens beyond its text; images a flat ~85.
  const framing = req.messages.length * 4 + countMedia(req) * 85;
  return countTokens(texts.join("\n")) + framing;
}

function countMedia(req: IRRequest): number {
  let n = 0;
  for (const m of req.messages) for (const p of m.parts) if (p.type === "image" || p.type === "file") n++;
  return n;
}
