/**
 * Conversation content in a form that belongs to no wire format. Every codec decodes into these
 * types and encodes out of them; nothing here may import from wire/.
 */

/** An opaque integrity token for reasoning, valid only for the kind of upstream that issued it. */
export interface Signature {
  /** The id of the wire format whose upstreams issued it. */
  source: string;
  value: string;
}

/**
 * Per-block hints that only one format understands (Anthropic's `cache_control`), keyed by the id
 * of that format: its encoder reads its own slot, the others pass the part on without looking.
 */
export type Extensions = { [format: string]: Record<string, unknown> | undefined };

export interface TextPart {
  type: "text";
  text: string;
  ext?: Extensions;
}

/** Binary media: inline base64 `data`, or a remote `url`, or a provider `fileId` (not portable). */
export interface MediaSource {
  mime?: string;
  data?: string;
  url?: string;
  fileId?: string;
}

export interface ImagePart extends MediaSource {
  type: "image";
  /** OpenAI's `detail` hint; dropped by formats without one. */
  detail?: string;
  ext?: Extensions;
}

/** Documents (PDF and others) and audio: anything that is not an image. `text` holds a plain-text document. */
export interface FilePart extends MediaSource {
  type: "file";
  name?: string;
  text?: string;
  ext?: Extensions;
}

export interface ReasoningPart {
  type: "reasoning";
  text: string;
  signature?: Signature;
  /** Anthropic redacted thinking: opaque data, no text. */
  redacted?: string;
}

export interface ToolCallPart {
  type: "tool_call";
  id: string;
  name: string;
  args: Record<string, unknown>;
  /** Gemini's thoughtSignature on the functionCall part. */
  signature?: Signature;
}

export interface ToolResultPart {
  type: "tool_result";
  callId: string;
  /** Known when the source format carries it (Gemini) or the call is in the history. */
  name?: string;
  content: (TextPart | ImagePart | FilePart)[];
  isError?: boolean;
  ext?: Extensions;
}

export type MediaPart = ImagePart | FilePart;
export type UserPart = TextPart | ImagePart | FilePart | ToolResultPart;
export type AssistantPart = TextPart | ReasoningPart | ToolCallPart;
export type Part = UserPart | AssistantPart;

/**
 * `system` messages may stand anywhere (OpenAI, Claude Code's mid-conversation system);
 * tool results are parts of `user` messages, as in Anthropic and Gemini.
 */
export type Message =
  | { role: "system"; parts: TextPart[] }
  | { role: "user"; parts: UserPart[] }
  | { role: "assistant"; parts: AssistantPart[] };
