// The `input` list of a Responses request: item types, message roles and the content part types
// each role may carry, call/output pairing, and replayed reasoning. Types and fields follow the
// openai-node SDK (src/resources/responses/responses.ts, `ResponseInputItem`); messages, params
// and codes are the ones api.openai.com answers with, as quoted in the comments.
import { Invalid } from "../util.ts";
import { fail, oneOf, typeName, want } from "../openai/checks.ts";

/** Every `type` of the SDK's `ResponseInputItem` union; a message may also omit `type`. */
const ITEM_TYPES = [
  "message",
  "file_search_call",
  "computer_call",
  "computer_call_output",
  "web_search_call",
  "function_call",
  "function_call_output",
  "tool_search_call",
  "tool_search_output",
  "additional_tools",
  "configuration_update",
  "reasoning",
  "compaction",
  "image_generation_call",
  "code_interpreter_call",
  "local_shell_call",
  "local_shell_call_output",
  "shell_call",
  "shell_call_output",
  "apply_patch_call",
  "apply_patch_call_output",
  "mcp_list_tools",
  "mcp_approval_request",
  "mcp_approval_response",
  "mcp_call",
  "custom_tool_call_output",
  "custom_tool_call",
  "compaction_trigger",
  "item_reference",
  "program",
  "program_output",
];
const ROLES = ["assistant", "system", "developer", "user"];
const INPUT_PARTS = ["input_text", "input_image", "input_file"];
// "Invalid value: 'input_text'. Supported values are: 'output_text' and 'refusal'." with param
// `input[1].content[0]` (openai/openai-go#485, epam/ai-dial-adapter-openai#511).
const ASSISTANT_PARTS = ["output_text", "refusal"];
const IMAGE_DATA_URL = /^data:image\/(png|jpeg|gif|webp);base64,/;

export interface InputState {
  /** encrypted_content values this mock issued: the only ones it can "decrypt" */
  issued: Set<string>;
  /** ids of output items answered with `store` on: what item references may name */
  stored: Set<string>;
  /** the request's own `store`, which words the not-found error */
  store: boolean;
}

const missing = (path: string): never =>
  fail(`Missing required parameter: '${path}'.`, path, "missing_required_parameter");

function required(item: Record<string, any>, key: string, path: string): unknown {
  if (item[key] === undefined) missing(`${path}.${key}`);
  return item[key];
}

function str(item: Record<string, any>, key: string, path: string): string {
  want(required(item, key, path), "string", `${path}.${key}`);
  return item[key];
}

function part(p: unknown, path: string, allowed: string[]): void {
  want(p, "object", path);
  const pt = p as Record<string, any>;
  // The union is resolved by `type`, so a wrong type is reported on the part itself.
  if (!allowed.includes(pt.type)) oneOf(pt.type, allowed, path);
  if (pt.type === "input_text" || pt.type === "output_text") str(pt, "text", path);
  else if (pt.type === "refusal") str(pt, "refusal", path);
  else if (pt.type === "input_image") {
    if (pt.image_url == null && pt.file_id == null) missing(`${path}.image_url`);
    if (pt.image_url != null) {
      want(pt.image_url, "string", `${path}.image_url`);
      const url: string = pt.image_url;
      if (url.startsWith("data:") ? !IMAGE_DATA_URL.test(url) : !/^https?:\/\//.test(url))
        fail(
          `Invalid '${path}.image_url'. Expected a valid URL or a base64-encoded data URL with an image MIME type, but got a value that is neither.`,
          `${path}.image_url`,
          "invalid_value",
        );
    }
    if (pt.detail != null) oneOf(pt.detail, ["auto", "low", "high", "original"], `${path}.detail`);
  } else if (pt.file_id == null && pt.file_data == null && pt.file_url == null)
    missing(`${path}.file_id`);
}

function content(v: unknown, path: string, allowed: string[]): void {
  if (typeof v === "string") return;
  if (!Array.isArray(v))
    fail(
      `Invalid type for '${path}': expected one of a string or array of objects, but got ${typeName(v)} instead.`,
      path,
      "invalid_type",
    );
  (v as unknown[]).forEach((p, j) => part(p, `${path}[${j}]`, allowed));
}

function message(item: Record<string, any>, path: string): void {
  required(item, "role", path);
  oneOf(item.role, ROLES, `${path}.role`);
  content(
    required(item, "content", path),
    `${path}.content`,
    item.role === "assistant" ? ASSISTANT_PARTS : INPUT_PARTS,
  );
}

/**
 * A replayed reasoning item is usable through its encrypted_content, and only content this mock
 * issued can be "decrypted"; without it, only by the id of an item stored earlier. Messages from
 * api.openai.com: "The encrypted content gAAA...DQ== could not be verified." (code
 * invalid_encrypted_content, openai/codex#8145) and, with status 404, "Item with id 'rs_…' not
 * found. Items are not persisted when `store` is set to false. Try again with `store` set to true,
 * or remove this item from your input." (can1357/oh-my-pi#41).
 */
function reasoning(item: Record<string, any>, path: string, st: InputState): void {
  const id = str(item, "id", path);
  want(required(item, "summary", path), "array", `${path}.summary`);
  // Output-only field: "Unknown parameter: 'input[3].status'." (1jehuang/jcode#1028).
  if (item.status !== undefined)
    fail(`Unknown parameter: '${path}.status'.`, `${path}.status`, "unknown_parameter");
  const sealed = item.encrypted_content;
  if (sealed == null) return lookup(id, st);
  want(sealed, "string", `${path}.encrypted_content`);
  if (!st.issued.has(sealed))
    fail(
      `The encrypted content ${sealed.slice(0, 4)}...${sealed.slice(-4)} could not be verified.`,
      null,
      "invalid_encrypted_content",
    );
}

function lookup(id: string, st: InputState): void {
  if (st.stored.has(id)) return;
  const hint = st.store
    ? ""
    : " Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.";
  throw new Invalid(`Item with id '${id}' not found.${hint}`, { param: "input", code: null }, 404);
}

function output(item: Record<string, any>, path: string): void {
  str(item, "call_id", path);
  const out = required(item, "output", path);
  if (typeof out !== "string") content(out, `${path}.output`, INPUT_PARTS);
}

/**
 * Calls and their outputs must pair up by call_id, an output after its call: "No tool call found
 * for function call output with call_id call_….", param `input` (continuedev/continue#10092), and
 * the other way "No tool output found for function call call_…." / "… for custom tool call
 * call_…." (Soju06/codex-lb#1168). The custom_tool_call_output wording follows the same pattern.
 */
function pairing(items: Record<string, any>[]): void {
  const open = new Map<string, string>();
  for (const it of items) {
    if (it.type === "function_call" || it.type === "custom_tool_call")
      open.set(`${it.type}:${it.call_id}`, it.call_id);
    const kind =
      it.type === "function_call_output"
        ? "function_call"
        : it.type === "custom_tool_call_output"
          ? "custom_tool_call"
          : undefined;
    if (!kind) continue;
    if (!open.delete(`${kind}:${it.call_id}`)) {
      const what = kind === "function_call" ? "function call" : "custom tool call";
      fail(`No tool call found for ${what} output with call_id ${it.call_id}.`, "input");
    }
  }
  for (const [key, callId] of open) {
    const what = key.startsWith("function_call:") ? "function call" : "custom tool call";
    fail(`No tool output found for ${what} ${callId}.`, "input");
  }
}

export function validateInput(input: unknown, st: InputState): void {
  if (typeof input === "string") return;
  if (!Array.isArray(input))
    fail(
      `Invalid type for 'input': expected one of a string or array of input items, but got ${typeName(input)} instead.`,
      "input",
      "invalid_type",
    );
  const items = input as Record<string, any>[];
  items.forEach((raw, i) => {
    const path = `input[${i}]`;
    want(raw, "object", path);
    const item = raw as Record<string, any>;
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    if (!ITEM_TYPES.includes(type)) oneOf(type, ITEM_TYPES, path);
    if (type === "message") message(item, path);
    else if (type === "function_call") {
      for (const k of ["call_id", "name"]) str(item, k, path);
      // "Invalid type for 'input[40].arguments': expected a string, but got an object instead."
      str(item, "arguments", path);
    } else if (type === "custom_tool_call")
      for (const k of ["call_id", "name", "input"]) str(item, k, path);
    else if (type === "function_call_output" || type === "custom_tool_call_output")
      output(item, path);
    else if (type === "reasoning") reasoning(item, path, st);
    else if (type === "item_reference") lookup(str(item, "id", path), st);
  });
  pairing(items.map((it) => ({ ...it, type: it.type ?? "message" })));
}
