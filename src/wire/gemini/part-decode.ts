import type { Signature, StreamEvent } from "../../ir";
import type { CodecContext } from "../codec";
import { synthId } from "../ids";
import { isObject, looseObject, looseString, type Json } from "../read";
import { signatureFromGemini } from "../signature";
import { field } from "./proto-json";

/**
 * One candidate part of a Gemini answer → IR stream events. Shared by the stream decoder and
 * decodeResponse, so both read parts the same way. Tool indexes count calls over the whole
 * answer: parallel calls arrive in separate chunks with nothing else to tell them apart (§4.8).
 */
export interface PartState {
  ctx: CodecContext;
  tools: number;
  /** A Vertex call whose arguments are still streaming in (`partialArgs` / `willContinue`). */
  partial?: { index: number; args: Json; continuing: Set<string> };
}

const MAX_INDEX = 10_000;

export const newPartState = (ctx: CodecContext): PartState => ({ ctx, tools: 0 });

export function decodePart(p: unknown, s: PartState): StreamEvent[] {
  if (!isObject(p)) return [];
  const rawSig = looseString(field(p, "thoughtSignature"));
  const signature = rawSig ? signatureFromGemini(rawSig) : undefined;
  const fc = field(p, "functionCall");
  if (isObject(fc)) return callEvents(fc, signature, s);
  const text = field(p, "text");
  if (typeof text === "string") {
    const out: StreamEvent[] = [];
    if (field(p, "thought") === true) {
      if (text) out.push({ type: "reasoning", text });
      if (signature) out.push({ type: "reasoning_signature", signature });
    } else {
      // Gemini puts the signature on the first part after the thoughts: it closes that reasoning.
      if (signature) out.push({ type: "reasoning_signature", signature });
      if (text) out.push({ type: "text", text });
    }
    return out;
  }
  const kind = Object.keys(p).find((k) => k !== "thoughtSignature" && k !== "thought_signature");
  if (kind)
    s.ctx.warnings.once(
      "dropped",
      `response.${kind}`,
      "answer part with no equivalent in other formats",
    );
  return signature ? [{ type: "reasoning_signature", signature }] : [];
}

function callEvents(fc: Json, signature: Signature | undefined, s: PartState): StreamEvent[] {
  const name = looseString(fc.name);
  const partialArgs = field(fc, "partialArgs");
  const willContinue = field(fc, "willContinue") === true;
  const out: StreamEvent[] = [];
  if (name) {
    out.push(...closePartial(s));
    const index = s.tools++;
    const rawId = looseString(fc.id);
    const id = rawId ? s.ctx.toolIds.fromWire(rawId) : synthId("call_", s.ctx.random);
    out.push(
      signature
        ? { type: "tool_start", index, id, name: s.ctx.toolNames.fromWire(name), signature }
        : { type: "tool_start", index, id, name: s.ctx.toolNames.fromWire(name) },
    );
    const args = looseObject(fc.args);
    if (!willContinue && partialArgs === undefined) {
      out.push(
        { type: "tool_args", index, fragment: JSON.stringify(args) },
        { type: "tool_end", index },
      );
      return out;
    }
    s.partial = { index, args: structuredClone(args), continuing: new Set() };
  }
  if (Array.isArray(partialArgs) && s.partial)
    for (const a of partialArgs) if (isObject(a)) applyPartial(s.partial, a);
  // A call part that neither starts nor continues the call ends it (Vertex sends `functionCall: {}`).
  if (!willContinue && (!name || partialArgs !== undefined)) out.push(...closePartial(s));
  return out;
}

export function closePartial(s: PartState): StreamEvent[] {
  const p = s.partial;
  if (!p) return [];
  s.partial = undefined;
  return [
    { type: "tool_args", index: p.index, fragment: JSON.stringify(p.args) },
    { type: "tool_end", index: p.index },
  ];
}

/** One `PartialArg`: a value (strings possibly in pieces) at an RFC 9535 path like `$.a.b[0]`. */
function applyPartial(p: NonNullable<PartState["partial"]>, a: Json): void {
  const path = field(a, "jsonPath");
  if (typeof path !== "string") return;
  const keys = parsePath(path);
  if (!keys || keys.length === 0) return;
  let value: unknown;
  const str = field(a, "stringValue");
  if (typeof str === "string") {
    const prev = get(p.args, keys);
    value = p.continuing.has(path) && typeof prev === "string" ? prev + str : str;
  } else if (field(a, "numberValue") !== undefined) value = Number(field(a, "numberValue"));
  else if (field(a, "boolValue") !== undefined) value = field(a, "boolValue") === true;
  else if (field(a, "nullValue") !== undefined) value = null;
  else return;
  set(p.args, keys, value);
  if (field(a, "willContinue") === true) p.continuing.add(path);
  else p.continuing.delete(path);
}

function parsePath(path: string): (string | number)[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const keys: (string | number)[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    keys.push(
      m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])!.replace(/\\(.)/g, "$1")),
    );
  }
  // Arguments are plain data: a key reaching an object's prototype, or an index that would
  // allocate a vast sparse array, is refused.
  return keys.some((k) => k === "__proto__" || (typeof k === "number" && k > MAX_INDEX))
    ? undefined
    : keys;
}

function get(root: Json, keys: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const k of keys)
    cur =
      isObject(cur) || Array.isArray(cur)
        ? (cur as Record<string | number, unknown>)[k]
        : undefined;
  return cur;
}

function set(root: Json, keys: (string | number)[], value: unknown): void {
  let cur: Record<string | number, unknown> = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      cur[k] = value;
      return;
    }
    const next = cur[k];
    if (typeof next !== "object" || next === null)
      cur[k] = typeof keys[i + 1] === "number" ? [] : {};
    cur = cur[k] as Record<string | number, unknown>;
  });
}
