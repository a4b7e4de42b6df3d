import {
  routerError,
  type AssistantPart,
  type Extensions,
  type FilePart,
  type ImagePart,
  type ReasoningPart,
  type ToolCallPart,
  type ToolResultPart,
  type UserPart,
  type Warnings,
} from "../../ir";
import type { EncodeRequestContext } from "../codec";
import { synthId } from "../ids";
import { reject } from "../read";
import type {
  CacheControl,
  ContentBlockParam,
  DocumentBlockParam,
  DocumentSource,
  ImageBlockParam,
  RedactedThinkingBlockParam,
  TextBlockParam,
  ThinkingBlockParam,
  ToolResultBlockParam,
  ToolResultContentBlock,
  ToolUseBlockParam,
} from "./api";

/** IR parts → content blocks of an Anthropic request (upstream side). */

export interface EncodeState {
  ctx: EncodeRequestContext;
  /** Warnings of this attempt only: the turns may be rebuilt once with thinking off. */
  warnings: Warnings;
  /** Whether thinking blocks go out at all (thinking on for this request). */
  keepThinking: boolean;
  /** Ids invented for tool calls that came without one, taken in order by id-less results. */
  synthesized: string[];
  /** Reasoning parts left out, for one summary warning. */
  droppedReasoning: number;
}

const IMAGE_MIME = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
/** Base64 openings of the magic numbers, for media that arrive without a type. */
const MAGIC: [string, string][] = [
  ["iVBORw0KGgo", "image/png"],
  ["/9j/", "image/jpeg"],
  ["R0lGOD", "image/gif"],
  ["UklGR", "image/webp"],
  ["JVBERi0", "application/pdf"],
];
const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

const sniff = (data: string): string | undefined =>
  MAGIC.find(([prefix]) => data.startsWith(prefix))?.[1];

function withCache<B extends { cache_control?: CacheControl }>(
  block: B,
  ext: Extensions | undefined,
): B {
  const cc = ext?.anthropic?.cacheControl;
  // Only an Anthropic client's request sets it, and it goes back to Anthropic as that client wrote it.
  if (cc !== undefined && cc !== null) block.cache_control = cc as CacheControl;
  return block;
}

/** Anthropic rejects empty and whitespace-only text blocks, so they are left out. */
export function encodeText(t: string, ext: Extensions | undefined): TextBlockParam[] {
  return /\S/.test(t) ? [withCache<TextBlockParam>({ type: "text", text: t }, ext)] : [];
}

/** Decoders split data URLs; one still left in `url` would reach Anthropic as a URL it cannot fetch. */
function inline(p: { data?: string; url?: string; mime?: string }): {
  data?: string;
  url?: string;
  mime?: string;
} {
  const m = p.url !== undefined && p.data === undefined ? DATA_URL.exec(p.url) : null;
  return m ? { data: m[2], mime: p.mime ?? m[1] } : p;
}

function image(p: ImagePart, st: EncodeState): ImageBlockParam {
  if (p.fileId !== undefined)
    reject(
      routerError(
        "invalid_request",
        "an image given by provider file id cannot be sent to an Anthropic upstream; send the image data or a URL",
      ),
    );
  if (p.detail !== undefined)
    st.warnings.once("dropped", "image.detail", "Anthropic has no image detail setting");
  const src = inline(p);
  if (src.data !== undefined) {
    // "image/jpg" is a common misspelling that Anthropic refuses.
    const given = src.mime?.toLowerCase();
    const mime = given === "image/jpg" ? "image/jpeg" : (given ?? sniff(src.data));
    if (!mime || !IMAGE_MIME.has(mime))
      reject(
        routerError(
          "invalid_request",
          `image type ${mime ?? "unknown"} is not supported by Anthropic (png, jpeg, gif, webp)`,
        ),
      );
    return withCache<ImageBlockParam>(
      { type: "image", source: { type: "base64", media_type: mime, data: src.data } },
      p.ext,
    );
  }
  if (src.url !== undefined)
    return withCache<ImageBlockParam>(
      { type: "image", source: { type: "url", url: src.url } },
      p.ext,
    );
  return reject(routerError("invalid_request", "an image part has neither data nor a URL"));
}

function file(p: FilePart, st: EncodeState): DocumentBlockParam {
  if (p.fileId !== undefined)
    reject(
      routerError(
        "invalid_request",
        "a file given by provider file id cannot be sent to an Anthropic upstream; send the file data instead",
      ),
    );
  const src = inline(p);
  const mime = src.mime ?? (src.data !== undefined ? sniff(src.data) : undefined);
  if (mime?.startsWith("audio/"))
    reject(routerError("invalid_request", "audio input is not supported by Anthropic upstreams"));
  let source: DocumentSource;
  if (p.text !== undefined) source = { type: "text", media_type: "text/plain", data: p.text };
  else if (src.data !== undefined && mime === "application/pdf")
    source = { type: "base64", media_type: mime, data: src.data };
  // Anthropic reads text documents as text, so base64 text/* files are decoded rather than refused.
  else if (src.data !== undefined && mime?.startsWith("text/"))
    source = {
      type: "text",
      media_type: "text/plain",
      data: Buffer.from(src.data, "base64").toString("utf8"),
    };
  else if (src.url !== undefined && (mime === undefined || mime === "application/pdf"))
    source = { type: "url", url: src.url };
  else
    return reject(
      routerError(
        "invalid_request",
        `file type ${mime ?? "unknown"} is not supported by Anthropic (PDF and plain text documents only)`,
      ),
    );
  const block: DocumentBlockParam = { type: "document", source };
  if (p.name) block.title = p.name;
  return withCache(block, p.ext);
}

function toolResult(p: ToolResultPart, st: EncodeState): ToolResultBlockParam {
  const id = p.callId === "" ? (st.synthesized.shift() ?? "") : st.ctx.toolIds.toWire(p.callId);
  const blocks = p.content.flatMap((c): ToolResultContentBlock[] =>
    c.type === "text"
      ? encodeText(c.text, c.ext)
      : [c.type === "image" ? image(c, st) : file(c, st)],
  );
  const block: ToolResultBlockParam = { type: "tool_result", tool_use_id: id };
  // The string form is what most clients send; blocks are needed only for media or cache hints.
  const only = blocks.length === 1 ? blocks[0] : undefined;
  if (only?.type === "text" && only.cache_control === undefined) block.content = only.text;
  else if (blocks.length) block.content = blocks;
  if (p.isError) block.is_error = true;
  return withCache(block, p.ext);
}

function reasoning(
  p: ReasoningPart,
  st: EncodeState,
): (ThinkingBlockParam | RedactedThinkingBlockParam)[] {
  // Redacted thinking only ever comes from Anthropic; a signature from elsewhere would be rejected.
  const anthropic =
    p.redacted !== undefined
      ? (p.signature?.source ?? "anthropic") === "anthropic"
      : p.signature?.source === "anthropic";
  if (!st.keepThinking || !anthropic) {
    st.droppedReasoning++;
    return [];
  }
  if (p.redacted !== undefined) return [{ type: "redacted_thinking", data: p.redacted }];
  return [{ type: "thinking", thinking: p.text, signature: p.signature!.value }];
}

function toolCall(p: ToolCallPart, st: EncodeState): ToolUseBlockParam {
  let id: string;
  if (p.id === "") {
    id = synthId("toolu_", st.ctx.random);
    st.synthesized.push(id);
  } else id = st.ctx.toolIds.toWire(p.id);
  // A signature on a call cannot become a thinking block: the text it signs is not there.
  if (p.signature) st.droppedReasoning++;
  const input =
    typeof p.args === "object" && p.args !== null && !Array.isArray(p.args) ? p.args : {};
  return { type: "tool_use", id, name: st.ctx.toolNames.toWire(p.name), input };
}

export function encodeUserBlock(p: UserPart, st: EncodeState): ContentBlockParam[] {
  switch (p.type) {
    case "text":
      return encodeText(p.text, p.ext);
    case "image":
      return [image(p, st)];
    case "file":
      return [file(p, st)];
    case "tool_result":
      return [toolResult(p, st)];
  }
}

export function encodeAssistantBlock(p: AssistantPart, st: EncodeState): ContentBlockParam[] {
  switch (p.type) {
    case "text":
      return encodeText(p.text, p.ext);
    case "reasoning":
      return reasoning(p, st);
    case "tool_call":
      return [toolCall(p, st)];
  }
}
