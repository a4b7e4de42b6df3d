import type {
  AssistantPart,
  Extensions,
  FilePart,
  ImagePart,
  TextPart,
  ToolResultPart,
  UserPart,
  Warnings,
} from "../../ir";
import { asArray, asObject, asString, bad, fields, isObject, type Json } from "../read";
import { signatureFromText } from "../signature";

/** Content blocks of a client's request → IR parts. */

export interface BlockState {
  warnings: Warnings;
  /** tool_use id → tool name, so results can name their tool (Gemini needs it). */
  toolNames: Map<string, string>;
}

/** Blocks of server tools (web search, code execution, MCP…): they ran at Anthropic and mean nothing elsewhere. */
const SERVER_BLOCK =
  /^(server_tool_use|mcp_tool_use|mcp_tool_result|container_upload|.+_tool_result)$/;

function cacheExt(b: Json): Extensions | undefined {
  return b.cache_control === undefined || b.cache_control === null
    ? undefined
    : { anthropic: { cacheControl: b.cache_control } };
}

function withExt<T extends { ext?: Extensions }>(part: T, b: Json): T {
  const ext = cacheExt(b);
  if (ext) part.ext = ext;
  return part;
}

function text(b: Json, path: string, st: BlockState): TextPart {
  if (Array.isArray(b.citations) && b.citations.length)
    st.warnings.once(
      "dropped",
      "citations",
      "text block citations have no counterpart in the target format",
    );
  return withExt<TextPart>({ type: "text", text: asString(b.text, `${path}.text`) }, b);
}

function image(b: Json, path: string): ImagePart {
  const src = asObject(b.source, `${path}.source`);
  const at = `${path}.source`;
  switch (src.type) {
    case "base64":
      return withExt<ImagePart>(
        {
          type: "image",
          mime: asString(src.media_type, `${at}.media_type`),
          data: asString(src.data, `${at}.data`),
        },
        b,
      );
    case "url":
      return withExt<ImagePart>({ type: "image", url: asString(src.url, `${at}.url`) }, b);
    case "file":
      return withExt<ImagePart>(
        { type: "image", fileId: asString(src.file_id, `${at}.file_id`) },
        b,
      );
    default:
      return bad(`${at}.type`, `unknown image source type ${JSON.stringify(src.type)}`);
  }
}

function document(b: Json, path: string, st: BlockState): FilePart {
  const src = asObject(b.source, `${path}.source`);
  const at = `${path}.source`;
  let part: FilePart;
  switch (src.type) {
    case "base64":
      part = {
        type: "file",
        mime: asString(src.media_type, `${at}.media_type`),
        data: asString(src.data, `${at}.data`),
      };
      break;
    // URL documents are PDFs by the API's definition; saying so lets other encoders pick the right part.
    case "url":
      part = { type: "file", mime: "application/pdf", url: asString(src.url, `${at}.url`) };
      break;
    case "text":
      part = { type: "file", mime: "text/plain", text: asString(src.data, `${at}.data`) };
      break;
    case "file":
      part = { type: "file", fileId: asString(src.file_id, `${at}.file_id`) };
      break;
    case "content":
      part = {
        type: "file",
        mime: "text/plain",
        text: contentDocumentText(src.content, `${at}.content`, st),
      };
      break;
    default:
      return bad(`${at}.type`, `unknown document source type ${JSON.stringify(src.type)}`);
  }
  const title = fields.optString(b, "title", path);
  if (title !== undefined) part.name = title;
  if (b.context !== undefined && b.context !== null)
    st.warnings.once("dropped", "document.context", "no counterpart in the target format");
  if (isObject(b.citations))
    st.warnings.once("dropped", "document.citations", "citations are Anthropic-only");
  return withExt(part, b);
}

/** A custom-content document becomes one text document; its images cannot ride along. */
function contentDocumentText(content: unknown, path: string, st: BlockState): string {
  if (typeof content === "string") return content;
  const texts: string[] = [];
  asArray(content, path).forEach((c, i) => {
    const blk = asObject(c, `${path}.${i}`);
    if (blk.type === "text") texts.push(asString(blk.text, `${path}.${i}.text`));
    else
      st.warnings.once(
        "dropped",
        "document.source.content",
        `${String(blk.type)} blocks inside a content document were dropped`,
      );
  });
  return texts.join("\n\n");
}

function toolResult(b: Json, path: string, st: BlockState): ToolResultPart {
  const callId = asString(b.tool_use_id, `${path}.tool_use_id`);
  const part: ToolResultPart = {
    type: "tool_result",
    callId,
    content: resultContent(b.content, `${path}.content`, st),
  };
  const name = st.toolNames.get(callId);
  if (name !== undefined) part.name = name;
  if (fields.optBool(b, "is_error", path)) part.isError = true;
  return withExt(part, b);
}

function resultContent(content: unknown, path: string, st: BlockState): ToolResultPart["content"] {
  if (content === undefined || content === null || content === "") return [];
  if (typeof content === "string") return [{ type: "text", text: content }];
  return asArray(content, path).flatMap((c, i): ToolResultPart["content"] => {
    const blk = asObject(c, `${path}.${i}`);
    const at = `${path}.${i}`;
    if (blk.type === "text") return [text(blk, at, st)];
    if (blk.type === "image") return [image(blk, at)];
    if (blk.type === "document") return [document(blk, at, st)];
    st.warnings.once(
      "dropped",
      `tool_result.content.${String(blk.type)}`,
      "block type not convertible",
    );
    return [];
  });
}

export function decodeUserBlock(b: Json, path: string, st: BlockState): UserPart[] {
  switch (b.type) {
    case "text":
      return [text(b, path, st)];
    case "image":
      return [image(b, path)];
    case "document":
      return [document(b, path, st)];
    case "tool_result":
      return [toolResult(b, path, st)];
    case "tool_use":
    case "thinking":
    case "redacted_thinking":
      return bad(`${path}.type`, `${b.type} blocks are only allowed in assistant messages`);
  }
  st.warnings.once(
    "dropped",
    `content.${String(b.type)}`,
    "block type not convertible to another format",
  );
  return [];
}

export function decodeAssistantBlock(b: Json, path: string, st: BlockState): AssistantPart[] {
  switch (b.type) {
    case "text":
      return [text(b, path, st)];
    case "tool_use": {
      const id = asString(b.id, `${path}.id`);
      const name = asString(b.name, `${path}.name`);
      const args = asObject(b.input, `${path}.input`);
      st.toolNames.set(id, name);
      if (cacheExt(b))
        st.warnings.once("dropped", "tool_use.cache_control", "no cache hint slot on tool calls");
      return [{ type: "tool_call", id, name, args }];
    }
    case "thinking": {
      const thought = asString(b.thinking, `${path}.thinking`);
      // An empty (or, from lenient clients, missing) signature marks unsigned reasoning, such as
      // OpenAI-compatible reasoning or Gemini thoughts we relayed: other upstreams can still use its text.
      const raw = fields.optString(b, "signature", path) ?? "";
      const signature = raw === "" ? undefined : signatureFromText(raw, "anthropic");
      return [
        signature
          ? { type: "reasoning", text: thought, signature }
          : { type: "reasoning", text: thought },
      ];
    }
    case "redacted_thinking":
      return [{ type: "reasoning", text: "", redacted: asString(b.data, `${path}.data`) }];
    case "image":
    case "document":
    case "tool_result":
      return bad(`${path}.type`, `${b.type} blocks are only allowed in user messages`);
  }
  const what = SERVER_BLOCK.test(String(b.type))
    ? "server tool blocks"
    : "block type not convertible to another format";
  st.warnings.once("dropped", `content.${String(b.type)}`, what);
  return [];
}

/** A system message inside `messages` (Claude Code's mid-conversation-system beta): text only. */
export function decodeSystemBlocks(content: unknown, path: string, st: BlockState): TextPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return asArray(content, path).map((c, i) => {
    const blk = asObject(c, `${path}.${i}`);
    if (blk.type !== "text")
      return bad(`${path}.${i}.type`, "system content may only hold text blocks");
    return text(blk, `${path}.${i}`, st);
  });
}

/**
 * Inverse of how our encoders carry a Gemini functionCall signature to Claude clients: an empty
 * thinking block with a Gemini-tagged signature right before a tool_use is that call's signature,
 * so a Gemini upstream gets it back on the same functionCall part.
 */
export function foldCallSignatures(parts: AssistantPart[]): AssistantPart[] {
  const out: AssistantPart[] = [];
  parts.forEach((p, i) => {
    const next = parts[i + 1];
    const carrier =
      p.type === "reasoning" &&
      p.text === "" &&
      p.redacted === undefined &&
      p.signature?.source === "gemini";
    if (carrier && next?.type === "tool_call" && !next.signature)
      parts[i + 1] = { ...next, signature: p.signature };
    else out.push(p);
  });
  return out;
}
