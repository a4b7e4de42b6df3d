import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The fenced code blocks of the README (and its translation), each named by the marker comment on
 * the line before its fence, so a test can fetch the exact text a reader copies:
 *
 *   <!-- block: claude-code -->        a block some test runs or compares (the id says which)
 *   <!-- example: real provider URL --> a block no test can run, and why
 *
 * Every fenced block carries one of the two; `docBlock(id)` fails when the id is missing or
 * used twice, so renaming a block in the README breaks the test that vouches for it.
 */

export const ROOT = join(import.meta.dir, "..", "..");

export interface DocBlock {
  /** the id after `block:`, or undefined for an example */
  id: string | undefined;
  /** the reason after `example:`, for an example */
  example: string | undefined;
  /** the fence's info string: sh, yaml, toml, json, … */
  lang: string;
  /** the block's text without the fence lines, de-indented by the fence's indentation */
  code: string;
  /** 1-based line of the opening fence */
  line: number;
}

const MARKER = /^\s*<!--\s*(block|example):\s*(.*?)\s*-->\s*$/;
const FENCE = /^(\s*)(`{3,})(.*)$/;

function parseBlocks(markdown: string, file = "markdown"): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, info] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (close && close[2]!.length >= ticks.length && close[3]!.trim() === "") break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: code block is never closed`);
    const marker = i > 0 ? MARKER.exec(lines[i - 1]!) : null;
    blocks.push({
      id: marker?.[1] === "block" ? marker[2] : undefined,
      example: marker?.[1] === "example" ? marker[2] : undefined,
      lang: info.trim().split(/\s+/)[0] ?? "",
      code: body.join("\n") + "\n",
      line: i + 1,
    });
    i = j;
  }
  return blocks;
}

const cache = new Map<string, DocBlock[]>();

/** The blocks of a markdown file of the repository (README.md by default). */
export function docBlocks(file = "README.md"): DocBlock[] {
  let blocks = cache.get(file);
  if (!blocks) {
    blocks = parseBlocks(readFileSync(join(ROOT, file), "utf8"), file);
    cache.set(file, blocks);
  }
  return blocks;
}

/** The one block with this id; throws when there is none or more than one. */
export function docBlock(id: string, file = "README.md"): DocBlock {
  const found = docBlocks(file).filter((b) => b.id === id);
  if (found.length !== 1)
    throw new Error(`${file} has ${found.length} blocks marked <!-- block: ${id} -->, not 1`);
  return found[0]!;
}
