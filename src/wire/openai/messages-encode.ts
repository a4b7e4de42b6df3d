import type {
  AssistantPart,
  FilePart,
  ImagePart,
  Message,
  TextPart,
  ToolResultPart,
  UserPart,
} from "../../ir/content";
import { routerError } from "../../ir/error";
import type { EncodeRequestContext } from "../codec";
import { reject } from "../read";
import type { AssistantMessage, ChatMessage, ToolCall, UserContentPart } from "./api";
import { defaultFilename, encodeAudioFormat, encodeDataUrl, sniffMime } from "./media";

export interface EncodeEnv {
  ctx: EncodeRequestContext;
  /** Google's OpenAI-compatible endpoint: the only upstream that can use Gemini thought signatures. */
  googleHost: boolean;
}

/**
 * IR messages → OpenAI messages. Tool results become `tool` messages right after the assistant
 * turn that called them (OpenAI rejects anything in between), so a user turn is split: its tool
 * results first, then any media the tools returned, then the user's own content.
 */
export function encodeMessages(
  system: TextPart[],
  messages: Message[],
  env: EncodeEnv,
): ChatMessage[] {
  const out: ChatMessage[] = [];
  const prompt = joinText(system, "\n\n", env);
  if (prompt !== "") out.push({ role: "system", content: prompt });
  // The last assistant turn's call ids in order, and those of them still unanswered (a set: n results are paired in n steps).
  let offered: string[] = [];
  const awaiting = new Set<string>();
  // Every call must be answered before the next non-tool message, or OpenAI rejects the request.
  const answerMissing = () => {
    for (const id of offered) {
      if (!awaiting.has(id)) continue;
      out.push({ role: "tool", tool_call_id: id, content: "(no result)" });
      env.ctx.warnings.once(
        "approximated",
        "tool_result",
        "a tool call without a result got a placeholder result",
      );
    }
    offered = [];
    awaiting.clear();
  };

  for (const m of messages) {
    if (m.role === "system") {
      answerMissing();
      out.push({ role: "system", content: joinText(m.parts, "\n\n", env) });
    } else if (m.role === "assistant") {
      answerMissing();
      const msg = encodeAssistant(m.parts, env);
      out.push(msg);
      offered = (msg.tool_calls ?? []).map((c) => c.id);
      for (const id of offered) awaiting.add(id);
    } else {
      const results = m.parts.filter((p): p is ToolResultPart => p.type === "tool_result");
      const rest = m.parts.filter(
        (p): p is Exclude<UserPart, ToolResultPart> => p.type !== "tool_result",
      );
      const attachments: UserContentPart[] = [];
      for (const r of results) {
        const id = env.ctx.toolIds.toWire(r.callId);
        if (!awaiting.has(id)) {
          env.ctx.warnings.once(
            "dropped",
            "tool_result",
            "a tool result without a matching tool call in the previous assistant turn was left out",
          );
          continue;
        }
        awaiting.delete(id);
        out.push({ role: "tool", tool_call_id: id, content: resultText(r, env) });
        attachments.push(...resultMedia(r, env));
      }
      answerMissing();
      if (attachments.length) out.push({ role: "user", content: attachments });
      if (rest.length) out.push({ role: "user", content: encodeUserContent(rest, env) });
    }
  }
  return out;
}

function joinText(parts: TextPart[], sep: string, env: EncodeEnv): string {
  for (const p of parts)
    if (p.ext?.anthropic)
      env.ctx.warnings.once(
        "dropped",
        "cache_control",
        "OpenAI caches prompts automatically; breakpoints were dropped",
      );
  return parts.map((p) => p.text).join(sep);
}

function resultText(r: ToolResultPart, env: EncodeEnv): string {
  const texts: TextPart[] = [];
  for (const c of r.content) {
    if (c.type === "text") texts.push(c);
    else if (c.type === "file" && c.text !== undefined && c.data === undefined)
      texts.push({ type: "text", text: c.text });
  }
  const text = joinText(texts, "\n", env);
  return r.isError ? (text ? `Error: ${text}` : "Error") : text;
}

/** OpenAI accepts images and files only in user messages (protocols.md §2.4). */
function resultMedia(r: ToolResultPart, env: EncodeEnv): UserContentPart[] {
  const media = r.content.filter(
    (c): c is ImagePart | FilePart =>
      c.type === "image" || (c.type === "file" && !(c.text !== undefined && c.data === undefined)),
  );
  if (!media.length) return [];
  const tool =
    r.name !== undefined ? env.ctx.toolNames.toWire(r.name) : env.ctx.toolIds.toWire(r.callId);
  return [
    { type: "text", text: `Attachments returned by tool ${tool}:` },
    ...media.map((p) => encodeMedia(p, env)),
  ];
}

function encodeUserContent(
  parts: Exclude<UserPart, ToolResultPart>[],
  env: EncodeEnv,
): string | UserContentPart[] {
  // Several compat servers (DeepSeek among them) accept only a string for text-only turns.
  if (parts.every((p) => p.type === "text")) return joinText(parts as TextPart[], "\n", env);
  return parts.map((p) =>
    p.type === "text" ? { type: "text", text: joinText([p], "", env) } : encodeMedia(p, env),
  );
}

function encodeMedia(p: ImagePart | FilePart, env: EncodeEnv): UserContentPart {
  if (p.ext?.anthropic)
    env.ctx.warnings.once(
      "dropped",
      "cache_control",
      "OpenAI caches prompts automatically; breakpoints were dropped",
    );
  if (p.fileId !== undefined && p.data === undefined)
    reject(
      routerError(
        "invalid_request",
        `a provider file id (${p.fileId}) cannot be sent to an OpenAI upstream: file ids are not portable between providers`,
      ),
    );
  if (p.type === "image") {
    const url =
      p.data !== undefined
        ? encodeDataUrl(p.mime ?? sniffMime(p.data) ?? "image/png", p.data)
        : p.url;
    if (url === undefined)
      reject(routerError("invalid_request", "an image part has neither data nor url"));
    return {
      type: "image_url",
      image_url: p.detail !== undefined ? { url, detail: p.detail } : { url },
    };
  }
  if (p.data === undefined && p.text !== undefined) return { type: "text", text: p.text };
  // The glue downloads URLs it wants inlined; a URL that reaches us cannot be expressed without losing the document.
  if (p.data === undefined)
    reject(
      routerError(
        "invalid_request",
        `OpenAI cannot fetch files by URL (${p.url ?? "no url"}); send the file inline`,
      ),
    );
  const mime = p.mime ?? sniffMime(p.data) ?? "application/octet-stream";
  if (mime.startsWith("audio/")) {
    const format = encodeAudioFormat(mime);
    if (!format)
      reject(
        routerError("invalid_request", `OpenAI input_audio accepts only wav and mp3, not ${mime}`),
      );
    return { type: "input_audio", input_audio: { data: p.data, format } };
  }
  if (mime.startsWith("text/")) {
    env.ctx.warnings.once("approximated", "file", "a plain-text document was sent as a text part");
    return { type: "text", text: Buffer.from(p.data, "base64").toString("utf8") };
  }
  return {
    type: "file",
    file: { filename: p.name ?? defaultFilename(mime), file_data: encodeDataUrl(mime, p.data) },
  };
}

function encodeAssistant(parts: AssistantPart[], env: EncodeEnv): AssistantMessage {
  const { ctx } = env;
  const texts = parts.filter((p) => p.type === "text");
  const reasoning = parts.filter((p) => p.type === "reasoning");
  const calls = parts.filter((p) => p.type === "tool_call");
  const msg: AssistantMessage = {
    role: "assistant",
    content: texts.length ? joinText(texts, "\n", env) : calls.length ? null : "",
  };
  const thought = reasoning.map((r) => r.text).join("");
  // DeepSeek's thinking mode rejects a tool-call turn without its reasoning; elsewhere it is ignored.
  if (calls.length && thought !== "") msg.reasoning_content = thought;
  else if (reasoning.length)
    env.ctx.warnings.once(
      "dropped",
      "reasoning",
      "earlier reasoning is not replayed to OpenAI upstreams except on tool-call turns",
    );
  if (reasoning.some((r) => r.signature || r.redacted !== undefined))
    env.ctx.warnings.once(
      "dropped",
      "reasoning.signature",
      "reasoning signatures are only valid for the provider that issued them",
    );
  if (calls.length) {
    msg.tool_calls = calls.map((c) => {
      const call: ToolCall = {
        id: ctx.toolIds.toWire(c.id),
        type: "function",
        function: { name: ctx.toolNames.toWire(c.name), arguments: JSON.stringify(c.args ?? {}) },
      };
      // Gemini's OpenAI-compatible endpoint needs its signatures back; strict servers reject the unknown field.
      if (c.signature?.source === "gemini" && env.googleHost)
        call.extra_content = { google: { thought_signature: c.signature.value } };
      else if (c.signature)
        env.ctx.warnings.once(
          "dropped",
          "tool_calls[].signature",
          "the signature's provider cannot use it here",
        );
      return call;
    });
  }
  return msg;
}
