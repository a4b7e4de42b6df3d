// Request validation for POST /v1/messages and /v1/messages/count_tokens.
import { isInt, isObject } from "../util.ts";
import { block, fail, keys, nonEmptyText, obj, str, tagList, type BlockState } from "./blocks.ts";

const MESSAGE_KEYS = [
  "model",
  "messages",
  "max_tokens",
  "system",
  "metadata",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "service_tier",
  "output_config",
];
const COUNT_KEYS = [
  "model",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
];
/** Fields only accepted while the matching `anthropic-beta` flag is sent. */
const BETA_FIELDS: Record<string, string[]> = {
  context_management: ["context-management-"],
  mcp_servers: ["mcp-client-"],
  container: ["code-execution-", "skills-"],
};
const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,128}$/;
const SERVER_TOOL_RE = /^[a-z_]+_\d{8}$/;

export interface CheckOptions {
  countTokens: boolean;
  betas: string[];
  signatures: Map<string, string>;
}

function number(v: unknown, path: string, min: number, max: number, integer = false): void {
  if (v === undefined || v === null) return;
  if (integer ? !isInt(v) : typeof v !== "number")
    fail(`${path}: Input should be a valid ${integer ? "integer" : "number"}`);
  if ((v as number) < min) fail(`${path}: Input should be greater than or equal to ${min}`);
  if ((v as number) > max) fail(`${path}: Input should be less than or equal to ${max}`);
}

function topLevel(b: Record<string, any>, o: CheckOptions): void {
  const allowed = o.countTokens ? COUNT_KEYS : MESSAGE_KEYS;
  for (const k of Object.keys(b)) {
    if (allowed.includes(k)) continue;
    const beta = BETA_FIELDS[k];
    if (beta && o.betas.some((flag) => beta.some((prefix) => flag.startsWith(prefix)))) continue;
    fail(`${k}: Extra inputs are not permitted`);
  }
  str(b.model, "model");
  if (!o.countTokens) {
    if (b.max_tokens === undefined) fail("max_tokens: Field required");
    number(b.max_tokens, "max_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  }
  number(b.temperature, "temperature", 0, 1);
  number(b.top_p, "top_p", 0, 1);
  number(b.top_k, "top_k", 0, Number.MAX_SAFE_INTEGER, true);
  if (b.stream !== undefined && typeof b.stream !== "boolean")
    fail("stream: Input should be a valid boolean");
  if (b.stop_sequences !== undefined) {
    if (!Array.isArray(b.stop_sequences)) fail("stop_sequences: Input should be a valid list");
    b.stop_sequences.forEach((s: unknown, i: number) => {
      if (!/\S/.test(str(s, `stop_sequences.${i}`)))
        fail("stop_sequences: each stop sequence must contain non-whitespace");
    });
  }
  if (b.metadata !== undefined) keys(obj(b.metadata, "metadata"), ["user_id"], "metadata");
  if (b.output_config !== undefined)
    keys(obj(b.output_config, "output_config"), ["effort", "format"], "output_config");
  if (b.system !== undefined && typeof b.system !== "string") {
    if (!Array.isArray(b.system)) fail("system: Input should be a valid string or list");
    b.system.forEach((s: unknown, i: number) => {
      const blk = obj(s, `system.${i}`);
      if (blk.type !== "text") fail(`system.${i}.type: Input should be 'text'`);
      keys(blk, ["type", "text", "cache_control", "citations"], `system.${i}`);
      nonEmptyText(str(blk.text, `system.${i}.text`), "system");
    });
  }
}

function tools(b: Record<string, any>): Set<string> {
  const names = new Set<string>();
  if (b.tools === undefined) return names;
  if (!Array.isArray(b.tools)) fail("tools: Input should be a valid list");
  b.tools.forEach((t: unknown, i: number) => {
    const tool = obj(t, `tools.${i}`);
    if (tool.type !== undefined && tool.type !== "custom") {
      if (!SERVER_TOOL_RE.test(String(tool.type)))
        fail(
          `tools.${i}: Input tag '${tool.type}' found using 'type' does not match any of the expected tags: 'custom', 'bash_20250124', 'text_editor_20250728', 'web_search_20250305', 'web_fetch_20250910', 'code_execution_20250825'`,
        );
      names.add(str(tool.name, `tools.${i}.${tool.type}.name`));
      return;
    }
    const p = `tools.${i}.custom`;
    keys(
      tool,
      ["type", "name", "description", "input_schema", "cache_control", "strict", "input_examples"],
      p,
    );
    const name = str(tool.name, `${p}.name`);
    if (!TOOL_NAME_RE.test(name))
      fail(`${p}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    if (tool.description !== undefined) str(tool.description, `${p}.description`);
    const schema = obj(tool.input_schema, `${p}.input_schema`);
    if (schema.type !== "object") fail(`${p}.input_schema.type: Input should be 'object'`);
    if (names.has(name)) fail("tools: Tool names must be unique.");
    names.add(name);
  });
  return names;
}

function toolChoiceAndThinking(
  b: Record<string, any>,
  names: Set<string>,
  o: CheckOptions,
): boolean {
  let forced = false;
  if (b.tool_choice !== undefined) {
    const tc = obj(b.tool_choice, "tool_choice");
    const tags = ["auto", "any", "tool", "none"];
    if (!tags.includes(tc.type))
      fail(
        `tool_choice: Input tag '${tc.type}' found using 'type' does not match any of the expected tags: ${tagList(tags)}`,
      );
    keys(
      tc,
      tc.type === "tool"
        ? ["type", "name", "disable_parallel_tool_use"]
        : ["type", "disable_parallel_tool_use"],
      `tool_choice.${tc.type}`,
    );
    if (
      tc.disable_parallel_tool_use !== undefined &&
      typeof tc.disable_parallel_tool_use !== "boolean"
    )
      fail(`tool_choice.${tc.type}.disable_parallel_tool_use: Input should be a valid boolean`);
    if (tc.type === "tool" && !names.has(str(tc.name, "tool_choice.tool.name")))
      fail(`tool_choice.tool.name: Tool '${tc.name}' not found in 'tools'`);
    forced = tc.type === "any" || tc.type === "tool";
    if (forced && !names.size)
      fail("tool_choice: tool_choice may only be specified while providing tools");
  }
  if (b.thinking === undefined) return false;
  const th = obj(b.thinking, "thinking");
  const tags = ["enabled", "disabled", "adaptive"];
  if (!tags.includes(th.type))
    fail(
      `thinking: Input tag '${th.type}' found using 'type' does not match any of the expected tags: ${tagList(tags)}`,
    );
  keys(
    th,
    th.type === "enabled" ? ["type", "budget_tokens", "display"] : ["type", "display"],
    `thinking.${th.type}`,
  );
  if (th.type === "disabled") return false;
  if (th.type === "enabled") {
    if (th.budget_tokens === undefined) fail("thinking.enabled.budget_tokens: Field required");
    number(th.budget_tokens, "thinking.enabled.budget_tokens", 1024, Number.MAX_SAFE_INTEGER, true);
    if (!o.countTokens && th.budget_tokens >= b.max_tokens) {
      fail(
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
      );
    }
  }
  if (forced) fail("Thinking may not be enabled when tool_choice forces tool use.");
  if (b.temperature !== undefined && b.temperature !== 1)
    fail(
      "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
    );
  if (b.top_k !== undefined)
    fail(
      "`top_k` is not supported when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
    );
  if (b.top_p !== undefined && b.top_p < 0.95)
    fail(
      "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
    );
  return true;
}

interface Located {
  blk: Record<string, any>;
  msg: number;
  idx: number;
}
interface Turn {
  role: string;
  blocks: Located[];
}

/** Per-message schema; returns turns with consecutive same-role messages merged, as the API does. */
function messages(b: Record<string, any>, o: CheckOptions, st: BlockState): Turn[] {
  if (b.messages === undefined) fail("messages: Field required");
  if (!Array.isArray(b.messages)) fail("messages: Input should be a valid list");
  if (b.messages.length === 0) fail("messages: at least one message is required");
  const systemAllowed = o.betas.some((f) => f.startsWith("mid-conversation-system-"));
  const turns: Turn[] = [];
  b.messages.forEach((m: unknown, i: number) => {
    const msg = obj(m, `messages.${i}`);
    keys(msg, ["role", "content"], `messages.${i}`);
    const role = msg.role;
    if (!(role === "user" || role === "assistant" || (role === "system" && systemAllowed)))
      fail(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const last = i === b.messages.length - 1;
    const content = msg.content;
    if (content === undefined) fail(`messages.${i}.content: Field required`);
    const empty = content === "" || (Array.isArray(content) && content.length === 0);
    if (empty && !(last && role === "assistant"))
      fail(
        `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      );
    let blocks: Record<string, any>[];
    if (typeof content === "string") {
      if (content !== "") nonEmptyText(content, "messages");
      blocks = content === "" ? [] : [{ type: "text", text: content }];
    } else if (Array.isArray(content)) {
      blocks = content.map((c, j) =>
        block(c, role === "system" ? "user" : role, `messages.${i}.content.${j}`, st),
      );
      if (role === "system" && blocks.some((x) => x.type !== "text"))
        fail(`messages.${i}.content: system messages may only contain text blocks`);
    } else return fail(`messages.${i}.content: Input should be a valid string or list`);
    if (last && role === "assistant") {
      const tail = blocks.at(-1);
      if (tail?.type === "text" && /\s$/.test(tail.text))
        fail("final assistant content cannot end with trailing whitespace");
    }
    const located = blocks.map((blk, idx) => ({ blk, msg: i, idx }));
    const prev = turns.at(-1);
    if (prev && prev.role === role && role !== "system") prev.blocks.push(...located);
    else turns.push({ role, blocks: located });
  });
  return turns;
}

function pairing(turns: Turn[]): void {
  turns.forEach((t, k) => {
    const prev = turns[k - 1];
    const offered = new Set(
      prev?.role === "assistant"
        ? prev.blocks.filter((x) => x.blk.type === "tool_use").map((x) => x.blk.id)
        : [],
    );
    if (t.role === "user") {
      const seen = new Set<string>();
      let other = false;
      for (const x of t.blocks) {
        if (x.blk.type !== "tool_result") {
          other = true;
          continue;
        }
        const id = x.blk.tool_use_id;
        if (!offered.has(id))
          fail(
            `messages.${x.msg}.content.${x.idx}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          );
        if (seen.has(id))
          fail(
            `messages.${x.msg}.content.${x.idx}: each \`tool_use\` must have a single result. Found multiple \`tool_result\` blocks with id: ${id}`,
          );
        if (other)
          fail(
            `messages.${x.msg}.content.${x.idx}: \`tool_result\` blocks must come first in the user message, before any other content`,
          );
        seen.add(id);
      }
    }
    if (t.role !== "assistant") return;
    const uses = t.blocks.filter((x) => x.blk.type === "tool_use");
    if (!uses.length) return;
    const next = turns[k + 1];
    const answered = new Set(
      next?.role === "user"
        ? next.blocks.filter((x) => x.blk.type === "tool_result").map((x) => x.blk.tool_use_id)
        : [],
    );
    const missing = uses.filter((x) => !answered.has(x.blk.id));
    if (missing.length) {
      fail(
        `messages.${missing[0].msg}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.map((x) => x.blk.id).join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
}

/** With thinking on, a conversation ending in a tool loop must replay that turn's thinking first. */
function thinkingReplay(turns: Turn[]): void {
  const last = turns.at(-1);
  if (last?.role !== "user" || !last.blocks.some((x) => x.blk.type === "tool_result")) return;
  const asst = turns.at(-2);
  const first = asst?.blocks[0];
  if (!first || first.blk.type === "thinking" || first.blk.type === "redacted_thinking") return;
  fail(
    `messages.${first.msg}.content.${first.idx}.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first.blk.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
  );
}

export function validateMessages(body: unknown, o: CheckOptions): void {
  if (!isObject(body))
    fail("There was an error parsing the body of your request. Please make sure it is valid JSON.");
  const b = body as Record<string, any>;
  topLevel(b, o);
  const st: BlockState = { signatures: o.signatures, toolUseIds: new Set() };
  const turns = messages(b, o, st);
  const thinking = toolChoiceAndThinking(b, tools(b), o);
  pairing(turns);
  if (thinking) thinkingReplay(turns);
}
