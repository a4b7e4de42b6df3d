import type {
  AssistantPart,
  Extensions,
  FilePart,
  ImagePart,
  TextPart,
  ToolResultPart,
  UserPart,
} from "../../ir/content";
import { routerError } from "../../ir/error";
import type { IRRequest } from "../../ir/request";
import type { EncodeRequestContext } from "../codec";
import { defaultFilename, encodeDataUrl, sniffMime } from "../openai/media";
import { reject } from "../read";
import type { InputFile, InputImage, InputItem, InputText, OutputText } from "./api";
import { unsealReasoning } from "./reasoning-seal";

/**
 * IR messages → Responses `input` items. The Responses API checks the pairing of calls and
 * outputs by call_id (an output without its call, or a call left unanswered before the
 * conversation goes on, is a 400), so as for Chat: results answer the calls of the assistant
 * turn just before them, an unanswered call gets a placeholder output, a stray result is left out.
 */

export interface EncodedInput {
  input: InputItem[];
  /** Some reasoning is replayed with its encrypted_content, which needs `include` to come back. */
  replaysReasoning: boolean;
}

type Media = Exclude<UserPart, { type: "tool_result" }>;
type OutputContent = InputText | InputImage | InputFile;

export function encodeInput(req: IRRequest, ctx: EncodeRequestContext): EncodedInput {
  const freeformTools = new Set(req.tools.filter((t) => t.freeform).map((t) => t.name));
  const input: InputItem[] = [];
  let replaysReasoning = false;
  // The last assistant turn's calls not yet answered, by wire id: whether each is freeform.
  const awaiting = new Map<string, boolean>();
  const answerMissing = () => {
    for (const [id, freeform] of awaiting) {
      input.push(output(id, freeform, "(no result)"));
      ctx.warnings.once(
        "approximated",
        "tool_result",
        "a tool call without a result got a placeholder result",
      );
    }
    awaiting.clear();
  };

  for (const m of req.messages) {
    if (m.role === "system") {
      answerMissing();
      input.push({ type: "message", role: "developer", content: texts(m.parts, ctx) });
    } else if (m.role === "assistant") {
      answerMissing();
      replaysReasoning =
        encodeAssistant(m.parts, freeformTools, input, awaiting, ctx) || replaysReasoning;
    } else {
      const rest: Media[] = [];
      for (const p of m.parts) {
        if (p.type !== "tool_result") {
          rest.push(p);
          continue;
        }
        const id = ctx.toolIds.toWire(p.callId);
        const freeform = awaiting.get(id);
        if (freeform === undefined) {
          ctx.warnings.once(
            "dropped",
            "tool_result",
            "a tool result without a matching tool call in the previous assistant turn was left out",
          );
          continue;
        }
        awaiting.delete(id);
        input.push(output(id, freeform, resultOutput(p, ctx)));
      }
      answerMissing();
      if (rest.length)
        input.push({
          type: "message",
          role: "user",
          content: rest.map((p) => encodeMedia(p, ctx)),
        });
    }
  }
  answerMissing();
  return { input, replaysReasoning };
}

function output(callId: string, freeform: boolean, out: string | OutputContent[]): InputItem {
  return freeform
    ? { type: "custom_tool_call_output", call_id: callId, output: out }
    : { type: "function_call_output", call_id: callId, output: out };
}

/** Items of one assistant turn, in order; returns whether it replays encrypted reasoning. */
function encodeAssistant(
  parts: AssistantPart[],
  freeformTools: Set<string>,
  input: InputItem[],
  awaiting: Map<string, boolean>,
  ctx: EncodeRequestContext,
): boolean {
  let replays = false;
  // Consecutive texts are one message item of several output_text parts.
  let said: OutputText[] | undefined;
  for (const p of parts) {
    if (p.type === "text") {
      if (p.text === "") continue;
      if (!said) {
        said = [];
        input.push({ type: "message", role: "assistant", content: said });
      }
      said.push({ type: "output_text", text: p.text, annotations: [] });
      continue;
    }
    said = undefined;
    if (p.type === "reasoning") {
      // Only OpenAI's own encrypted reasoning can be replayed; other signatures mean nothing here.
      if (p.signature?.source === "responses") {
        const { id, encrypted } = unsealReasoning(p.signature.value);
        input.push({
          type: "reasoning",
          ...(id ? { id } : {}),
          summary: p.text ? [{ type: "summary_text", text: p.text }] : [],
          encrypted_content: encrypted,
        });
        replays = true;
      } else if (p.text !== "" || p.redacted !== undefined)
        // The reasoning is lost, so it is said; a signature alone is never replayed elsewhere,
        // which is no loss (another upstream's signature means nothing to this one).
        ctx.warnings.once(
          "dropped",
          "reasoning",
          "earlier reasoning not issued by a Responses upstream cannot be replayed to one",
        );
      continue;
    }
    const callId = ctx.toolIds.toWire(p.id);
    const name = ctx.toolNames.toWire(p.name);
    const freeform = freeformTools.has(p.name);
    if (freeform) {
      const text = typeof p.args.input === "string" ? p.args.input : JSON.stringify(p.args);
      input.push({ type: "custom_tool_call", call_id: callId, name, input: text });
    } else
      input.push({
        type: "function_call",
        call_id: callId,
        name,
        arguments: JSON.stringify(p.args ?? {}),
      });
    awaiting.set(callId, freeform);
  }
  return replays;
}

function texts(parts: TextPart[], ctx: EncodeRequestContext): InputText[] {
  warnCacheHints(parts, ctx);
  return parts.map((p) => ({ type: "input_text", text: p.text }));
}

export function warnCacheHints(parts: { ext?: Extensions }[], ctx: EncodeRequestContext): void {
  if (parts.some((p) => p.ext?.anthropic))
    ctx.warnings.once(
      "dropped",
      "cache_control",
      "OpenAI caches prompts automatically; breakpoints were dropped",
    );
}

/** A result as text when it is only text (as most tools answer), else as a list of parts. */
function resultOutput(r: ToolResultPart, ctx: EncodeRequestContext): string | OutputContent[] {
  const plain = (c: (typeof r.content)[number]) =>
    c.type === "text" || (c.type === "file" && c.text !== undefined && c.data === undefined);
  const mark = r.isError ? "Error" : "";
  if (r.content.every(plain)) {
    warnCacheHints(r.content, ctx);
    const text = r.content
      .map((c) => (c.type === "text" ? c.text : (c as FilePart).text))
      .join("\n");
    return mark && text ? `${mark}: ${text}` : mark || text;
  }
  const parts = r.content.map((c) => encodeMedia(c, ctx));
  return mark ? [{ type: "input_text", text: `${mark}:` }, ...parts] : parts;
}

function encodeMedia(p: Media, ctx: EncodeRequestContext): OutputContent {
  warnCacheHints([p], ctx);
  if (p.type === "text") return { type: "input_text", text: p.text };
  if (p.type === "image") return encodeImage(p);
  return encodeFile(p);
}

function encodeImage(p: ImagePart): InputImage {
  // The SDK's type makes `detail` required in messages; "auto" is the API's default.
  const detail = (p.detail ?? "auto") as NonNullable<InputImage["detail"]>;
  if (p.data !== undefined)
    return {
      type: "input_image",
      image_url: encodeDataUrl(p.mime ?? sniffMime(p.data) ?? "image/png", p.data),
      detail,
    };
  if (p.url !== undefined) return { type: "input_image", image_url: p.url, detail };
  if (p.fileId !== undefined) return { type: "input_image", file_id: p.fileId, detail };
  return reject(routerError("invalid_request", "an image part has neither data, url nor file id"));
}

function encodeFile(p: FilePart): InputFile | InputText {
  const named = p.name !== undefined ? { filename: p.name } : {};
  if (p.data !== undefined) {
    const mime = p.mime ?? sniffMime(p.data) ?? "application/octet-stream";
    if (mime.startsWith("audio/"))
      reject(routerError("invalid_request", `the Responses API takes no audio input (${mime})`));
    return {
      type: "input_file",
      filename: p.name ?? defaultFilename(mime),
      file_data: encodeDataUrl(mime, p.data),
    };
  }
  if (p.text !== undefined) return { type: "input_text", text: p.text };
  if (p.url !== undefined) return { type: "input_file", file_url: p.url, ...named };
  if (p.fileId !== undefined) return { type: "input_file", file_id: p.fileId, ...named };
  return reject(
    routerError("invalid_request", "a file part has neither data, text, url nor file id"),
  );
}
