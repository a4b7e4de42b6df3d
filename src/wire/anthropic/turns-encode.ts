import { Warnings, type Message } from "../../ir";
import type { EncodeRequestContext } from "../codec";
import type { ContentBlockParam, TextBlockParam, ToolResultBlockParam } from "./api";
import { encodeAssistantBlock, encodeUserBlock, type EncodeState } from "./blocks-encode";

/**
 * IR messages → the turn structure the Messages API enforces (protocols.md §2.7): roles
 * alternate starting with user, every tool_use is answered in the very next user turn with its
 * tool_result blocks first, no result without its call, no empty turn.
 */

export interface Turn {
  role: "user" | "assistant";
  blocks: ContentBlockParam[];
}

export interface TurnsResult {
  turns: Turn[];
  warnings: Warnings;
}

/** Claude answers "." as a neutral opener; any non-empty text satisfies the API. */
const OPENER: TextBlockParam = { type: "text", text: "." };
const NO_RESULT = "(no result)";

export function encodeTurns(
  messages: Message[],
  ctx: EncodeRequestContext,
  keepThinking: boolean,
): TurnsResult {
  const st: EncodeState = {
    ctx,
    warnings: new Warnings(),
    keepThinking,
    synthesized: [],
    droppedReasoning: 0,
  };
  const turns = pair(merge(messages, st), st);
  if (turns[0]?.role !== "user") {
    st.warnings.add(
      "approximated",
      "messages",
      'the conversation must open with a user turn; a "." user turn was added',
    );
    turns.unshift({ role: "user", blocks: [{ ...OPENER }] });
  }
  trimPrefill(turns, st);
  if (st.droppedReasoning) {
    const why = keepThinking
      ? "only thinking signed by Anthropic can be replayed to Anthropic"
      : "thinking is off for this request";
    st.warnings.add(
      "dropped",
      "reasoning",
      `${st.droppedReasoning} reasoning part(s) or foreign signature(s) left out: ${why}`,
    );
  }
  return { turns, warnings: st.warnings };
}

/** Blocks per message, empty messages skipped, consecutive same-role messages joined. */
function merge(messages: Message[], st: EncodeState): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === "system") continue;
    const blocks =
      m.role === "user"
        ? m.parts.flatMap((p) => encodeUserBlock(p, st))
        : m.parts.flatMap((p) => encodeAssistantBlock(p, st));
    if (!blocks.length) continue;
    const last = turns.at(-1);
    if (last?.role === m.role) last.blocks.push(...blocks);
    else turns.push({ role: m.role, blocks });
  }
  return turns;
}

const toolUseIds = (t: Turn | undefined): string[] =>
  t?.role === "assistant"
    ? [...new Set(t.blocks.flatMap((b) => (b.type === "tool_use" ? [b.id] : [])))]
    : [];

function pair(merged: Turn[], st: EncodeState): Turn[] {
  const out: Turn[] = [];
  for (const t of merged) {
    const prev = out.at(-1);
    if (t.role === "assistant") {
      // Only possible when the user turn between them held nothing but stray results.
      if (prev?.role === "assistant") prev.blocks.push(...t.blocks);
      else out.push(t);
      continue;
    }
    const blocks = answer(t.blocks, toolUseIds(prev), st);
    if (blocks.length) out.push({ role: "user", blocks });
  }
  const open = toolUseIds(out.at(-1));
  if (open.length) out.push({ role: "user", blocks: answer([], open, st) });
  return out;
}

/** A user turn's blocks with the results of `offered` first, missing ones filled in, strays removed. */
function answer(
  blocks: ContentBlockParam[],
  offered: string[],
  st: EncodeState,
): ContentBlockParam[] {
  const results = new Map<string, ToolResultBlockParam>();
  const others: ContentBlockParam[] = [];
  const calls = new Set(offered);
  for (const b of blocks) {
    if (b.type !== "tool_result") others.push(b);
    else if (!calls.has(b.tool_use_id))
      st.warnings.add(
        "dropped",
        "tool_result",
        `no matching tool call ${JSON.stringify(b.tool_use_id)} in the preceding assistant turn`,
      );
    else if (results.has(b.tool_use_id))
      st.warnings.add(
        "dropped",
        "tool_result",
        `second result for tool call ${JSON.stringify(b.tool_use_id)}`,
      );
    else results.set(b.tool_use_id, b);
  }
  const missing = offered.filter((id) => !results.has(id));
  if (missing.length)
    st.warnings.add(
      "approximated",
      "tool_result",
      `tool call(s) ${missing.join(", ")} had no result; "${NO_RESULT}" error results were added`,
    );
  for (const id of missing)
    results.set(id, { type: "tool_result", tool_use_id: id, is_error: true, content: NO_RESULT });
  return [...offered.map((id) => results.get(id)!), ...others];
}

/** A final assistant turn is a prefill, and the API rejects one that ends in whitespace. */
function trimPrefill(turns: Turn[], st: EncodeState): void {
  const last = turns.at(-1);
  const tail = last?.role === "assistant" ? last.blocks.at(-1) : undefined;
  if (tail?.type !== "text" || tail.text === tail.text.trimEnd()) return;
  tail.text = tail.text.trimEnd();
  st.warnings.add(
    "approximated",
    "messages",
    "trailing whitespace removed from the final assistant (prefill) text",
  );
}
