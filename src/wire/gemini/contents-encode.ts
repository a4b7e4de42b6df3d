import {
  isRouterError,
  type AssistantPart,
  type FilePart,
  type ImagePart,
  type Message,
  type ToolResultPart,
  type UserPart,
} from "../../ir";
import type { EncodeRequestContext } from "../codec";
import { Pending } from "../pending";
import { isObject, reject, type Json } from "../read";
import type * as Gemini from "./api";
import { encodeMedia } from "./media-encode";

/**
 * IR messages → Gemini `contents`, enforcing what Gemini checks (§2.1, §2.7): strict
 * user/model alternation, a user turn first, one functionResponse per functionCall of the
 * model turn just before, no empty parts, and a signature on the first call of each turn.
 */

/** Google's documented stand-in when a call's real signature is unknown (Gemini 3 requires one). */
const SENTINEL_SIGNATURE = "skip_thought_signature_validator";
const PLACEHOLDER_RESULT = "(no result)";

type Linked = { kind: "call" | "result"; callId: string; part: Gemini.Part };
type Item = Linked | { kind: "other"; part: Gemini.Part };
const linked = (it: Item): it is Linked => it.kind !== "other";
interface Turn {
  role: "user" | "model";
  items: Item[];
}

export function encodeContents(messages: Message[], ctx: EncodeRequestContext): Gemini.Content[] {
  const names = new Map<string, string>();
  for (const m of messages)
    if (m.role === "assistant")
      for (const p of m.parts) if (p.type === "tool_call") names.set(p.id, p.name);
  const turns: Turn[] = [];
  messages.forEach((m, i) => {
    if (m.role === "system") return;
    const items = m.role === "user" ? userItems(m.parts, i, names, ctx) : modelItems(m.parts, ctx);
    if (items.length) turns.push({ role: m.role === "user" ? "user" : "model", items });
  });
  const paired = merge(pair(merge(turns), ctx));
  const contents = paired.map((t) => ({ role: t.role, parts: t.items.map((it) => it.part) }));
  for (const c of contents) if (c.role === "model") markFirstCall(c.parts);
  if (contents[0]?.role !== "user") contents.unshift({ role: "user", parts: [{ text: "." }] });
  return contents;
}

function merge(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const t of turns) {
    const last = out.at(-1);
    if (last && last.role === t.role) last.items.push(...t.items);
    else out.push({ role: t.role, items: [...t.items] });
  }
  return out;
}

function userItems(
  parts: UserPart[],
  index: number,
  names: Map<string, string>,
  ctx: EncodeRequestContext,
): Item[] {
  const items: Item[] = [];
  parts.forEach((p, j) => {
    const where = `messages[${index}].parts[${j}]`;
    if (p.ext?.anthropic) ctx.warnings.once("dropped", "cache_control", "Gemini caches implicitly");
    if (p.type === "text") {
      if (p.text.trim() !== "") items.push({ kind: "other", part: { text: p.text } });
    } else if (p.type === "tool_result") {
      items.push({
        kind: "result",
        callId: p.callId,
        part: functionResponse(p, names, where, ctx),
      });
    } else {
      const part = media(p, where, ctx);
      if (part) items.push({ kind: "other", part });
    }
  });
  return items;
}

function media(
  p: ImagePart | FilePart,
  where: string,
  ctx: EncodeRequestContext,
): Gemini.Part | undefined {
  if (p.type === "image" && p.detail) ctx.warnings.once("dropped", "image.detail");
  if (p.type === "file" && p.text !== undefined && !p.data && !p.url && !p.fileId)
    return p.text.trim() ? { text: p.text } : undefined;
  const part = encodeMedia(p, where);
  if (isRouterError(part)) reject(part);
  return part;
}

function functionResponse(
  r: ToolResultPart,
  names: Map<string, string>,
  where: string,
  ctx: EncodeRequestContext,
): Gemini.Part {
  const texts: string[] = [];
  const parts: Gemini.Part[] = [];
  r.content.forEach((c, k) => {
    if (c.type === "text") texts.push(c.text);
    else if (c.type === "file" && c.text !== undefined && !c.data && !c.url && !c.fileId)
      texts.push(c.text);
    else {
      const m = media(c, `${where}.content[${k}]`, ctx);
      if (m) parts.push(m);
    }
  });
  const text = texts.join("\n");
  const name = ctx.toolNames.toWire(names.get(r.callId) ?? r.name ?? "unknown");
  const fr: Gemini.FunctionResponse = {
    id: ctx.toolIds.toWire(r.callId),
    name,
    response: r.isError ? { error: text } : responseObject(text),
  };
  // Media returned by a tool rides inside the response (Gemini 3 multimodal function responses).
  if (parts.length) fr.parts = parts;
  return { functionResponse: fr };
}

/** `response` must be a JSON object: a result that already is one is sent as is (§2.7). */
function responseObject(text: string): Json {
  if (text.trimStart().startsWith("{")) {
    try {
      const v: unknown = JSON.parse(text);
      if (isObject(v)) return v;
    } catch {
      // Not JSON after all: wrapped below.
    }
  }
  return { content: text };
}

function modelItems(parts: AssistantPart[], ctx: EncodeRequestContext): Item[] {
  const items: Item[] = [];
  // A Gemini signature whose thought text is empty belongs on the next part, where Gemini put it.
  let carried: string | undefined;
  const take = (part: Gemini.Part) => {
    if (carried && part.thoughtSignature === undefined) part.thoughtSignature = carried;
    else if (carried)
      ctx.warnings.once("dropped", "reasoning", "a signature had no part left to travel on");
    carried = undefined;
    return part;
  };
  for (const p of parts) {
    if (p.type === "text") {
      if (p.text.trim() !== "") items.push({ kind: "other", part: take({ text: p.text }) });
    } else if (p.type === "tool_call") {
      const fc = { id: ctx.toolIds.toWire(p.id), name: ctx.toolNames.toWire(p.name), args: p.args };
      const part: Gemini.Part = { functionCall: fc };
      if (p.signature?.source === "gemini") part.thoughtSignature = p.signature.value;
      items.push({ kind: "call", callId: p.id, part: take(part) });
    } else if (p.signature?.source === "gemini" && !p.redacted) {
      if (p.text !== "")
        items.push({
          kind: "other",
          part: take({ text: p.text, thought: true, thoughtSignature: p.signature.value }),
        });
      else carried = p.signature.value;
    } else {
      ctx.warnings.once(
        "dropped",
        "reasoning",
        "thinking not signed by Gemini cannot be replayed to it",
      );
    }
  }
  if (carried) {
    const last = [...items].reverse().find((it) => it.part.thoughtSignature === undefined);
    if (last) last.part.thoughtSignature = carried;
    else ctx.warnings.once("dropped", "reasoning", "a signature had no part left to travel on");
  }
  return items;
}

/** Every model turn with calls must be answered by exactly its calls' responses, in call order. */
function pair(turns: Turn[], ctx: EncodeRequestContext): Turn[] {
  const out: Turn[] = [];
  for (const t of turns) {
    if (t.role === "model") {
      out.push(t);
      continue;
    }
    const prev = out.at(-1);
    const calls =
      prev?.role === "model" ? prev.items.filter(linked).filter((it) => it.kind === "call") : [];
    const results = t.items.filter(linked).filter((it) => it.kind === "result");
    const others = t.items.filter((it) => it.kind === "other");
    const byCall = new Pending<Linked>();
    for (const r of results) byCall.add(r.callId, r);
    const used = new Set<Item>();
    const responses = calls.map((call): Item => {
      const match = byCall.first(call.callId, (r) => !used.has(r));
      if (match) {
        used.add(match);
        return match;
      }
      ctx.warnings.once(
        "approximated",
        "tool_result",
        "a call without a result was answered with a placeholder",
      );
      const fc = call.part.functionCall!;
      return {
        kind: "result",
        callId: call.callId,
        part: {
          functionResponse: { id: fc.id, name: fc.name, response: { error: PLACEHOLDER_RESULT } },
        },
      };
    });
    if (used.size < results.length)
      ctx.warnings.once(
        "dropped",
        "tool_result",
        "a result without a matching call in the turn before",
      );
    if (responses.length && others.length) {
      // Fresh user input must not share the functionResponse turn (§2.1): a short model turn separates them.
      out.push(
        { role: "user", items: responses },
        { role: "model", items: [{ kind: "other", part: { text: "." } }] },
        { role: "user", items: others },
      );
    } else if (responses.length || others.length)
      out.push({ role: "user", items: responses.length ? responses : others });
  }
  return out;
}

function markFirstCall(parts: Gemini.Part[]): void {
  const first = parts.find((p) => p.functionCall !== undefined);
  if (first && first.thoughtSignature === undefined) first.thoughtSignature = SENTINEL_SIGNATURE;
}
