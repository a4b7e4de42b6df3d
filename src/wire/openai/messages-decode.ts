import type {
  AssistantPart,
  Extensions,
  FilePart,
  Message,
  ReasoningPart,
  TextPart,
  ToolCallPart,
  ToolResultPart,
  UserPart,
} from "../../ir/content";
import type { Warnings } from "../../ir/warning";
import { asObject, at, bad, fields, isObject, looseObject, type Json } from "../read";
import { decodeArguments } from "./arguments-decode";
import { decodeSignature, decodeThinkingBlocks, decodeToolSignature } from "./carriers";
import { decodeReasoningText } from "./content-decode";
import { decodeAudioFormat, decodeDataUrl, imageFromUrl, sniffMime } from "./media";

const { optArray, optObject, optString, reqString } = fields;

// Fields of a message this decoder reads (or knowingly ignores: `annotations` are answer-side citations clients echo back).
const KNOWN_KEYS = new Set([
  "role",
  "content",
  "name",
  "tool_calls",
  "function_call",
  "tool_call_id",
  "refusal",
  "reasoning_content",
  "reasoning",
  "thinking_blocks",
  "extra_content",
  "audio",
  "annotations",
]);

/**
 * OpenAI messages → IR. Leading system/developer messages become the top-level system prompt;
 * later ones stay in place. Runs of `tool` (and legacy `function`) messages become one user
 * message of tool results, the shape Anthropic and Gemini need.
 */
export function decodeMessages(
  raw: unknown[],
  warnings: Warnings,
): { system: TextPart[]; messages: Message[] } {
  const system: TextPart[] = [];
  const messages: Message[] = [];
  const callNames = new Map<string, string>();
  // Legacy function_call turns have no ids: results pair with calls by name, in order.
  const legacyCalls = new Map<string, string[]>();
  let results: ToolResultPart[] = [];
  const unknown = new Set<string>();
  const flush = () => {
    if (results.length) messages.push({ role: "user", parts: results });
    results = [];
  };

  raw.forEach((item, i) => {
    const path = `messages[${i}]`;
    const m = asObject(item, path);
    const role = reqString(m, "role", path);
    for (const key of Object.keys(m))
      if (!KNOWN_KEYS.has(key) || (key === "name" && role !== "function")) unknown.add(key);
    if (role === "tool") {
      const callId = reqString(m, "tool_call_id", path);
      results.push(
        toolResult(callId, callNames.get(callId), textParts(m.content, at(path, "content"), true)),
      );
      return;
    }
    if (role === "function") {
      const name = reqString(m, "name", path);
      const callId = legacyCalls.get(name)?.shift() ?? `call_fn_${i}`;
      results.push(toolResult(callId, name, textParts(m.content, at(path, "content"), true)));
      return;
    }
    flush();
    if (role === "system" || role === "developer") {
      const parts = textParts(m.content, at(path, "content"), false);
      if (messages.length === 0) system.push(...parts);
      else messages.push({ role: "system", parts });
    } else if (role === "user") {
      messages.push({ role: "user", parts: userParts(m.content, at(path, "content")) });
    } else if (role === "assistant") {
      const parts = assistantParts(m, path, warnings, i, legacyCalls);
      for (const p of parts) if (p.type === "tool_call") callNames.set(p.id, p.name);
      messages.push({ role: "assistant", parts });
    } else bad(at(path, "role"), `unsupported role "${role}"`);
  });
  flush();
  for (const key of unknown)
    warnings.add("dropped", `messages[].${key}`, "no equivalent in the other formats");
  return { system, messages };
}

function toolResult(callId: string, name: string | undefined, content: TextPart[]): ToolResultPart {
  return name === undefined
    ? { type: "tool_result", callId, content }
    : { type: "tool_result", callId, name, content };
}

/** LiteLLM lets OpenAI clients mark Anthropic cache breakpoints on parts; keep them for that target. */
function partExt(p: Json): { ext?: Extensions } {
  return p.cache_control === undefined
    ? {}
    : { ext: { anthropic: { cacheControl: p.cache_control } } };
}

function textParts(content: unknown, path: string, allowNull: boolean): TextPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if ((content === null || content === undefined) && allowNull) return [];
  if (!Array.isArray(content)) bad(path, "expected a string or an array of text parts");
  return content.map((item, j) => {
    const p = asObject(item, at(path, j));
    if (p.type !== "text")
      bad(at(at(path, j), "type"), `expected "text" here, got ${JSON.stringify(p.type)}`);
    return { type: "text", text: reqString(p, "text", at(path, j)), ...partExt(p) };
  });
}

function userParts(content: unknown, path: string): UserPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) bad(path, "expected a string or an array of content parts");
  return content.map((item, j) => userPart(asObject(item, at(path, j)), at(path, j)));
}

function userPart(p: Json, path: string): UserPart {
  switch (p.type) {
    case "text":
      return { type: "text", text: reqString(p, "text", path), ...partExt(p) };
    case "image_url": {
      const holder = p.image_url;
      const src =
        typeof holder === "string" ? { url: holder } : asObject(holder, at(path, "image_url"));
      const url = reqString(src, "url", at(path, "image_url"));
      const detail = optString(src, "detail", at(path, "image_url"));
      const image = imageFromUrl(url);
      if (detail !== undefined) image.detail = detail;
      return { ...image, ...partExt(p) };
    }
    case "input_audio": {
      const a = asObject(p.input_audio, at(path, "input_audio"));
      const data = reqString(a, "data", at(path, "input_audio"));
      return {
        type: "file",
        mime: decodeAudioFormat(reqString(a, "format", at(path, "input_audio"))),
        data,
      };
    }
    case "file": {
      const f = asObject(p.file, at(path, "file"));
      const fpath = at(path, "file");
      const file: FilePart = { type: "file" };
      const name = optString(f, "filename", fpath);
      if (name !== undefined) file.name = name;
      const fileData = optString(f, "file_data", fpath);
      const fileId = optString(f, "file_id", fpath);
      if (fileData !== undefined) {
        const inline = decodeDataUrl(fileData) ?? { data: fileData };
        file.mime = inline.mime ?? sniffMime(inline.data) ?? "application/pdf";
        file.data = inline.data;
      } else if (fileId !== undefined) file.fileId = fileId;
      else bad(fpath, "expected file_data or file_id");
      return { ...file, ...partExt(p) };
    }
    default:
      return bad(at(path, "type"), `unsupported content part type ${JSON.stringify(p.type)}`);
  }
}

function assistantParts(
  m: Json,
  path: string,
  warnings: Warnings,
  i: number,
  legacy: Map<string, string[]>,
): AssistantPart[] {
  const reasoning: ReasoningPart[] = decodeThinkingBlocks(m.thinking_blocks) ?? [];
  const thought = decodeReasoningText(m);
  if (!reasoning.length && thought) reasoning.push({ type: "reasoning", text: thought });

  const texts: TextPart[] = [];
  const pushText = (t: string) => t !== "" && texts.push({ type: "text", text: t });
  if (typeof m.content === "string") pushText(m.content);
  else if (Array.isArray(m.content)) {
    m.content.forEach((item, j) => {
      const p = asObject(item, at(at(path, "content"), j));
      if (p.type === "text") pushText(reqString(p, "text", at(at(path, "content"), j)));
      else if (p.type === "refusal") pushText(reqString(p, "refusal", at(at(path, "content"), j)));
      else
        bad(
          at(at(at(path, "content"), j), "type"),
          `unsupported assistant content part type ${JSON.stringify(p.type)}`,
        );
    });
  } else if (m.content !== null && m.content !== undefined)
    bad(at(path, "content"), "expected a string, an array of parts or null");
  const refusal = optString(m, "refusal", path);
  if (refusal) pushText(refusal);
  if (m.audio !== undefined && m.audio !== null)
    warnings.add(
      "dropped",
      at(path, "audio"),
      "earlier audio answers cannot be replayed to another provider",
    );

  const calls: ToolCallPart[] = (optArray(m, "tool_calls", path) ?? []).map((item, j) =>
    toolCall(
      asObject(item, at(at(path, "tool_calls"), j)),
      at(at(path, "tool_calls"), j),
      warnings,
    ),
  );
  const legacyCall = optObject(m, "function_call", path);
  if (legacyCall) {
    const name = reqString(legacyCall, "name", at(path, "function_call"));
    const id = `call_fn_${i}`;
    const ids = legacy.get(name);
    if (ids) ids.push(id);
    else legacy.set(name, [id]);
    calls.push({
      type: "tool_call",
      id,
      name,
      args: argsOf(legacyCall.arguments, at(path, "function_call.arguments"), warnings),
    });
  }
  // Gemini's compat endpoint may put the batch's signature on the message instead of the call.
  const messageSig = decodeSignature(
    looseObject(looseObject(m.extra_content).google).thought_signature,
    "gemini",
  );
  const unsigned = calls.find((c) => !c.signature);
  if (messageSig && unsigned) unsigned.signature = messageSig;
  return [...reasoning, ...texts, ...calls];
}

function toolCall(tc: Json, path: string, warnings: Warnings): ToolCallPart {
  if (tc.type !== undefined && tc.type !== "function")
    bad(
      at(path, "type"),
      `only function tool calls can be converted, got ${JSON.stringify(tc.type)}`,
    );
  const fn = asObject(tc.function, at(path, "function"));
  const call: ToolCallPart = {
    type: "tool_call",
    id: reqString(tc, "id", path),
    name: reqString(fn, "name", at(path, "function")),
    args: argsOf(fn.arguments, at(path, "function.arguments"), warnings),
  };
  const sig = decodeToolSignature(tc);
  if (sig) call.signature = sig;
  return call;
}

function argsOf(raw: unknown, path: string, warnings: Warnings): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (isObject(raw)) return raw;
  if (typeof raw !== "string") bad(path, "expected a JSON string");
  return decodeArguments(raw, path, warnings);
}
