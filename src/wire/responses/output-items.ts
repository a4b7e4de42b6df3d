import type { Signature } from "../../ir/content";
import type { CodecContext } from "../codec";
import { signatureToText } from "../signature";
import type {
  FunctionCallItem,
  ItemStatus,
  OutputItem,
  ResponseObject,
  ResponsesUsage,
} from "./api";
import type { ResponseEnd } from "./finish";
import { unsealReasoning } from "./reasoning-seal";

/**
 * The output items and the response object a Responses client is given, whole: the
 * non-streamed answer, and the items a stream's `output_item.done` and terminal event repeat.
 */

export function messageItem(
  id: string,
  content: { text: string; refusal?: boolean }[],
  status: ItemStatus,
): OutputItem {
  return {
    id,
    type: "message",
    status,
    role: "assistant",
    content: content.map((c) =>
      c.refusal
        ? { type: "refusal", refusal: c.text }
        : { type: "output_text", annotations: [], logprobs: [], text: c.text },
    ),
  };
}

/**
 * The opaque part of a reasoning item. Foreign signatures (Anthropic's, Gemini's) travel tagged
 * with their source, so that when the client replays the item they go back only to their kind.
 */
export function reasoningItem(id: string, text: string, signature?: Signature): OutputItem {
  return {
    id,
    type: "reasoning",
    summary: text ? [{ type: "summary_text", text }] : [],
    encrypted_content: !signature
      ? null
      : signature.source === "responses"
        ? unsealReasoning(signature.value).encrypted
        : signatureToText(signature, "responses"),
  };
}

/** A tool call as the client declared its tool: a freeform tool gets its text back. */
export interface CallShape {
  /** The item's type: a `custom` tool's calls are `custom_tool_call`s. */
  freeform: boolean;
  name: string;
  namespace?: string;
}

export function callShape(irName: string, ctx: CodecContext): CallShape {
  const declared = ctx.clientTools.get(irName);
  const shape: CallShape = {
    freeform: declared?.freeform === true,
    name: declared?.name ?? irName,
  };
  if (declared?.namespace !== undefined) shape.namespace = declared.namespace;
  return shape;
}

/** A freeform call's text: its one `input` string, or (a model that wrote other keys) the JSON. */
export const freeformInput = (args: Record<string, unknown>): string =>
  typeof args.input === "string" ? args.input : JSON.stringify(args);

/** `payload` is the arguments' JSON text for a function, the input text for a freeform call. */
export function callItem(
  id: string,
  callId: string,
  shape: CallShape,
  payload: string,
  status: ItemStatus,
): OutputItem {
  if (shape.freeform)
    return {
      id,
      type: "custom_tool_call",
      status,
      call_id: callId,
      name: shape.name,
      input: payload,
    };
  const item: FunctionCallItem & { id: string; status: ItemStatus } = {
    id,
    type: "function_call",
    status,
    call_id: callId,
    name: shape.name,
    arguments: payload,
  };
  if (shape.namespace !== undefined) item.namespace = shape.namespace;
  return item;
}

/** The fixed part of one answer's response object. */
export interface ResponseHead {
  id: string;
  createdAt: number;
  model: string;
}

/**
 * The whole response object. Fields the router does not know (the request's settings) carry
 * the API's defaults: clients parse them, none acts on them.
 */
export function responseObject(
  head: ResponseHead,
  end: ResponseEnd | { status: "in_progress"; incomplete_details: null; error: null },
  output: OutputItem[],
  usage: ResponsesUsage | undefined,
): ResponseObject {
  const response: ResponseObject = {
    id: head.id,
    object: "response",
    created_at: head.createdAt,
    status: end.status,
    error: end.error,
    incomplete_details: end.incomplete_details,
    instructions: null,
    model: head.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: null,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: null,
    truncation: "disabled",
    metadata: {},
  };
  // Absent while the answer runs (the API's null); the terminal object always has all of it.
  if (usage) response.usage = usage;
  return response;
}
