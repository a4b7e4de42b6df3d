import type {
  AssistantPart,
  Message,
  ReasoningPart,
  Signature,
  ToolResultPart,
  UserPart,
  Warnings,
} from "../../ir";
import { Pending } from "../pending";
import { bad, isObject, type Json } from "../read";
import { signatureFromGemini } from "../signature";
import { decodeMedia } from "./media-decode";
import { field, optArray, optBool, optObject, optString } from "./proto-json";

/**
 * Gemini `contents` → IR messages. Clients may split one model turn over several contents
 * (the JS SDK stores every streamed chunk as its own content), so consecutive same-role
 * contents are merged first; then calls get ids and results are paired with them.
 */

/** Placeholders Google documents for "no signature"; they carry nothing worth converting. */
const SKIP_SIGNATURES = new Set([
  "skip_thought_signature_validator",
  "context_engineering_is_the_way_to_go",
]);

interface Located {
  part: Json;
  path: string;
}
interface Turn {
  role: "user" | "assistant";
  parts: Located[];
}
interface Call {
  id: string;
  name: string;
  used: boolean;
}

/** The calls of one model turn, found by id and by name. */
class Calls {
  private readonly byId = new Pending<Call>();
  private readonly byName = new Pending<Call>();

  add(call: Call): void {
    this.byId.add(call.id, call);
    this.byName.add(call.name, call);
  }

  /** By id when it matches; else the first unanswered call of that name (Gemini's own pairing rule). */
  answer(id: string | undefined, name: string | undefined): Call | undefined {
    const call =
      (id ? this.byId.first(id, unused) : undefined) ??
      (name !== undefined ? this.byName.first(name, unused) : undefined);
    if (call) call.used = true;
    return call;
  }
}
const unused = (c: Call) => !c.used;

export function decodeContents(contents: unknown[], warnings: Warnings): Message[] {
  const messages: Message[] = [];
  let calls = new Calls();
  mergeTurns(contents).forEach((turn, t) => {
    if (turn.role === "assistant") {
      const { parts, calls: made } = assistantParts(turn.parts, t, warnings);
      calls = made;
      if (parts.length) messages.push({ role: "assistant", parts });
    } else {
      const parts = userParts(turn.parts, t, calls, warnings);
      calls = new Calls();
      if (parts.length) messages.push({ role: "user", parts });
    }
  });
  return messages;
}

function mergeTurns(contents: unknown[]): Turn[] {
  const turns: Turn[] = [];
  contents.forEach((c, i) => {
    const path = `contents[${i}]`;
    if (!isObject(c)) bad(path, "expected an object");
    const raw = optString(c, "role", path) ?? "user";
    // "function" is the role older clients used for function responses.
    const role =
      raw === "model" ? "assistant" : raw === "user" || raw === "function" ? "user" : undefined;
    if (!role) bad(`${path}.role`, `expected "user" or "model", got "${raw.slice(0, 40)}"`);
    const parts = (optArray(c, "parts", path) ?? []).map((p, j): Located => {
      if (!isObject(p)) bad(`${path}.parts[${j}]`, "expected an object");
      return { part: p, path: `${path}.parts[${j}]` };
    });
    const last = turns.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  });
  return turns;
}

function signatureOf(p: Json, path: string): Signature | undefined {
  const sig = optString(p, "thoughtSignature", path);
  return sig && !SKIP_SIGNATURES.has(sig) ? signatureFromGemini(sig) : undefined;
}

function assistantParts(
  located: Located[],
  turn: number,
  warnings: Warnings,
): { parts: AssistantPart[]; calls: Calls } {
  const parts: AssistantPart[] = [];
  const calls = new Calls();
  let count = 0;
  // Reasoning parts still without a signature, newest last: a signature binds to the newest.
  const unsigned: ReasoningPart[] = [];
  for (const { part: p, path } of located) {
    const signature = signatureOf(p, path);
    const fc = optObject(p, "functionCall", path);
    if (fc) {
      const name = optString(fc, "name", `${path}.functionCall`);
      if (!name) bad(`${path}.functionCall.name`, "field required");
      const args = optObject(fc, "args", `${path}.functionCall`) ?? {};
      // Deterministic, so the same history always yields the same ids (§2.7).
      const id = optString(fc, "id", `${path}.functionCall`) || `call_g${turn}_${count}`;
      calls.add({ id, name, used: false });
      count++;
      parts.push(
        signature
          ? { type: "tool_call", id, name, args, signature }
          : { type: "tool_call", id, name, args },
      );
      continue;
    }
    const text = optString(p, "text", path);
    if (text !== undefined) {
      if (optBool(p, "thought", path)) appendReasoning(parts, unsigned, text, signature);
      else {
        if (signature) bindSignature(unsigned, signature, warnings);
        if (text !== "") parts.push({ type: "text", text });
      }
      continue;
    }
    warnings.add(
      "dropped",
      `${path}.${partKind(p)}`,
      "model-turn part with no equivalent in other formats",
    );
  }
  return { parts, calls };
}

/** Streamed thoughts come back as fragments; they form one reasoning block until a signature closes it. */
function appendReasoning(
  parts: AssistantPart[],
  unsigned: ReasoningPart[],
  text: string,
  signature: Signature | undefined,
): void {
  const last = parts.at(-1);
  if (last?.type === "reasoning" && !last.signature && !last.redacted) {
    last.text += text;
    // An open last part is the newest unsigned one.
    if (signature) ((last.signature = signature), unsigned.pop());
    return;
  }
  const part: ReasoningPart = { type: "reasoning", text };
  if (signature) part.signature = signature;
  else unsigned.push(part);
  parts.push(part);
}

/** A signature on a plain text part belongs to the thinking before it, when there is any. */
function bindSignature(unsigned: ReasoningPart[], signature: Signature, warnings: Warnings): void {
  const open = unsigned.pop();
  if (open) open.signature = signature;
  else
    warnings.once(
      "dropped",
      "thoughtSignature",
      "signature on a text part with no thought to attach it to",
    );
}

function userParts(located: Located[], turn: number, calls: Calls, warnings: Warnings): UserPart[] {
  const parts: UserPart[] = [];
  let orphans = 0;
  for (const { part: p, path } of located) {
    const fr = optObject(p, "functionResponse", path);
    if (fr) {
      parts.push(
        toolResult(fr, `${path}.functionResponse`, calls, () => `call_g${turn}_r${orphans++}`),
      );
      continue;
    }
    if (field(p, "functionCall") !== undefined)
      bad(`${path}.functionCall`, "function calls belong in model turns");
    const text = optString(p, "text", path);
    if (text !== undefined) {
      if (text !== "") parts.push({ type: "text", text });
      continue;
    }
    const media = decodeMedia(p, path);
    if (media) parts.push(media);
    else
      warnings.add(
        "dropped",
        `${path}.${partKind(p)}`,
        "user part with no equivalent in other formats",
      );
  }
  return parts;
}

function toolResult(fr: Json, path: string, calls: Calls, orphanId: () => string): ToolResultPart {
  const name = optString(fr, "name", path);
  const id = optString(fr, "id", path);
  const call = calls.answer(id, name);
  const callId = call?.id ?? id ?? orphanId();
  const result: ToolResultPart = { type: "tool_result", callId, content: [] };
  if (name) result.name = name;
  const response = optObject(fr, "response", path);
  const { text, isError } = responseText(response);
  if (text !== "") result.content.push({ type: "text", text });
  if (isError) result.isError = true;
  (optArray(fr, "parts", path) ?? []).forEach((m, i) => {
    const media = isObject(m) ? decodeMedia(m, `${path}.parts[${i}]`) : undefined;
    if (!media) bad(`${path}.parts[${i}]`, "expected inlineData or fileData");
    result.content.push(media);
  });
  return result;
}

/** `{output: "…"}` and its kin unwrap to the string; anything richer travels as JSON (§2.7). */
function responseText(response: Json | undefined): { text: string; isError: boolean } {
  if (!response) return { text: "", isError: false };
  const keys = Object.keys(response);
  if (keys.length === 1) {
    const v = response[keys[0]!];
    if (typeof v === "string" && ["content", "result", "output"].includes(keys[0]!))
      return { text: v, isError: false };
    if (typeof v === "string" && keys[0] === "error") return { text: v, isError: true };
  }
  if (keys.length === 0) return { text: "", isError: false };
  return { text: JSON.stringify(response), isError: false };
}

const partKind = (p: Json) =>
  Object.keys(p).find((k) => k !== "thoughtSignature" && k !== "thought_signature") ?? "part";
