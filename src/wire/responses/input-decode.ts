import type {
  AssistantPart,
  Message,
  TextPart,
  ToolCallPart,
  ToolResultPart,
} from "../../ir/content";
import type { Warnings } from "../../ir/warning";
import { decodeArguments } from "../openai/arguments-decode";
import { asObject, at, bad, fields, isObject, type Json } from "../read";
import { decodeContent, systemText } from "./content-decode";
import { reasoningPart } from "./item-decode";
import { resolveName, type DecodedTools } from "./tools-decode";

const { optString, reqString } = fields;

/**
 * A Responses `input` → IR messages. Items the model produced (messages, reasoning, calls) in a
 * row become one assistant message, and tool outputs in a row one user message of results (the
 * shape Anthropic and Gemini need); a message item starts a message of its own. Each item is
 * appended to the open message in constant time: a conversation of any length decodes in one pass.
 */
export class Conversation {
  readonly system: TextPart[] = [];
  readonly messages: Message[] = [];
  private assistantOpen: AssistantPart[] | undefined;
  private resultsOpen: ToolResultPart[] | undefined;

  addSystem(parts: TextPart[]): void {
    if (!parts.length) return;
    this.close();
    // Leading instructions are the system prompt; later ones stay where they were said.
    if (this.messages.length === 0) this.system.push(...parts);
    else this.messages.push({ role: "system", parts });
  }

  addUser(message: Extract<Message, { role: "user" }>): void {
    if (!message.parts.length) return;
    this.close();
    this.messages.push(message);
  }

  addAssistant(part: AssistantPart): void {
    if (!this.assistantOpen) {
      this.close();
      this.assistantOpen = [];
      this.messages.push({ role: "assistant", parts: this.assistantOpen });
    }
    this.assistantOpen.push(part);
  }

  addResult(part: ToolResultPart): void {
    if (!this.resultsOpen) {
      this.close();
      this.resultsOpen = [];
      this.messages.push({ role: "user", parts: this.resultsOpen });
    }
    this.resultsOpen.push(part);
  }

  private close(): void {
    this.assistantOpen = undefined;
    this.resultsOpen = undefined;
  }
}

interface ItemState {
  conv: Conversation;
  tools: DecodedTools;
  warnings: Warnings;
  /** IR tool name by call_id, for results (Gemini needs the name beside each result). */
  callNames: Map<string, string>;
}

export function decodeItems(
  items: unknown[],
  conv: Conversation,
  tools: DecodedTools,
  warnings: Warnings,
): void {
  const st: ItemState = { conv, tools, warnings, callNames: new Map() };
  items.forEach((item, i) => decodeItem(asObject(item, `input[${i}]`), `input[${i}]`, st));
}

function decodeItem(item: Json, path: string, st: ItemState): void {
  const type = optString(item, "type", path) ?? (item.role !== undefined ? "message" : undefined);
  switch (type) {
    case undefined:
      return bad(at(path, "type"), "field required");
    case "message":
      return decodeMessage(item, path, st);
    case "function_call":
    case "custom_tool_call":
      return decodeCall(item, path, type === "custom_tool_call", st);
    case "function_call_output":
    case "custom_tool_call_output":
      return decodeOutput(item, path, st);
    case "reasoning":
      return decodeReasoning(item, path, st);
    case "additional_tools":
      // Its tools were read with the top-level ones (Responses Lite).
      return;
    default:
      st.warnings.once(
        "dropped",
        `input[].type=${type}`,
        "an item of a built-in tool or of OpenAI's stored state; the upstream cannot read it",
      );
  }
}

function decodeMessage(item: Json, path: string, st: ItemState): void {
  const role = reqString(item, "role", path);
  const contentPath = at(path, "content");
  if (role === "system" || role === "developer")
    return st.conv.addSystem(systemText(item.content, contentPath, st.warnings));
  if (role === "user") {
    const parts = decodeContent(item.content, contentPath, st.warnings);
    return st.conv.addUser({ role: "user", parts });
  }
  if (role !== "assistant")
    return bad(at(path, "role"), `expected user, assistant, system or developer, got "${role}"`);
  for (const part of decodeContent(item.content, contentPath, st.warnings)) {
    if (part.type !== "text")
      st.warnings.once(
        "dropped",
        "input[].content (media in an assistant message)",
        "an assistant message can only be replayed as text",
      );
    else if (part.text !== "") st.conv.addAssistant(part);
  }
}

function decodeCall(item: Json, path: string, freeform: boolean, st: ItemState): void {
  const id = reqString(item, "call_id", path);
  const name = resolveName(
    reqString(item, "name", path),
    optString(item, "namespace", path),
    st.tools,
  );
  let args: Record<string, unknown>;
  if (freeform) args = { input: reqString(item, "input", path) };
  else {
    const raw = item.arguments;
    if (isObject(raw)) args = raw;
    else if (raw === undefined || raw === null) args = {};
    else if (typeof raw === "string")
      args = decodeArguments(raw, at(path, "arguments"), st.warnings);
    else return bad(at(path, "arguments"), "expected a JSON string");
  }
  st.callNames.set(id, name);
  const call: ToolCallPart = { type: "tool_call", id, name, args };
  st.conv.addAssistant(call);
}

function decodeOutput(item: Json, path: string, st: ItemState): void {
  const callId = reqString(item, "call_id", path);
  const output = item.output;
  if (output === undefined || output === null) bad(at(path, "output"), "field required");
  const result: ToolResultPart = {
    type: "tool_result",
    callId,
    content: decodeContent(output, at(path, "output"), st.warnings),
  };
  // Responses Lite names the tool beside its output; the call earlier in the input says it too.
  const named = optString(item, "name", path);
  const name =
    st.callNames.get(callId) ??
    (named !== undefined
      ? resolveName(named, optString(item, "namespace", path), st.tools)
      : undefined);
  if (name !== undefined) result.name = name;
  st.conv.addResult(result);
}

/** A replayed reasoning item, read as an answer's is (item-decode.ts); its own fields checked first. */
function decodeReasoning(item: Json, path: string, st: ItemState): void {
  optString(item, "encrypted_content", path);
  optString(item, "id", path);
  const part = reasoningPart(item);
  if (part) st.conv.addAssistant(part);
}
