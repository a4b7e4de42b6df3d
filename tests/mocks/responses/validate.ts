// Request validation for POST /v1/responses (and /v1/responses/input_tokens): the top-level
// parameters, tools and options. Names and value lists come from the openai-node SDK
// (src/resources/responses/responses.ts: ResponseCreateParamsBase, Tool, ResponseIncludable,
// InputTokenCountParams; shared.ts: Reasoning) and the API reference at
// platform.openai.com/docs/api-reference/responses/create; the items of `input` are checked in
// input.ts.
import { isObject } from "../util.ts";
import { fail, oneOf, range, want } from "../openai/checks.ts";
import { validateInput, type InputState } from "./input.ts";

/** Every top-level parameter of `POST /v1/responses`; the encoder tests check against it too. */
export const CREATE_KEYS = [
  "access_programs",
  "background",
  "context_management",
  "conversation",
  "image",
  "include",
  "input",
  "instructions",
  "max_output_tokens",
  "max_tool_calls",
  "metadata",
  "model",
  "moderation",
  "parallel_tool_calls",
  "previous_response_id",
  "prompt",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning",
  "safety_identifier",
  "service_tier",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "text",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "truncation",
  "user",
  // Not in the SDK's params, but Codex sends it on every turn (codex-rs/codex-api/src/common.rs,
  // ResponsesApiRequest) and works against api.openai.com, so the service accepts it.
  "client_metadata",
];
const COUNT_KEYS = [
  "conversation",
  "input",
  "instructions",
  "model",
  "parallel_tool_calls",
  "personality",
  "previous_response_id",
  "reasoning",
  "text",
  "tool_choice",
  "tools",
  "truncation",
];
const TOOL_TYPES = [
  "function",
  "file_search",
  "computer",
  "computer_use_preview",
  "web_search",
  "web_search_2025_08_26",
  "mcp",
  "code_interpreter",
  "programmatic_tool_calling",
  "image_generation",
  "local_shell",
  "shell",
  "custom",
  "namespace",
  "tool_search",
  "web_search_preview",
  "web_search_preview_2025_03_11",
  "apply_patch",
];
const INCLUDABLE = [
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
];
const NAME_RE = /^[a-zA-Z0-9_-]+$/;

/** A tool the request declared that the model may call by name (hosted tools are not callable). */
export interface DeclaredTool {
  kind: "function" | "custom";
  namespace?: string;
  parameters?: unknown;
}
export type Declared = Map<string, DeclaredTool>;

const optional = (v: unknown) => v === undefined || v === null;

function tool(t: unknown, path: string, declared: Declared, namespace?: string): void {
  want(t, "object", path);
  const tl = t as Record<string, any>;
  oneOf(tl.type, namespace ? ["function", "custom"] : TOOL_TYPES, `${path}.type`);
  if (!["function", "custom", "namespace"].includes(tl.type)) return;
  // "Missing required parameter: 'tools[0].name'." (icebear0828/codex-proxy#399)
  if (tl.name === undefined)
    fail(
      `Missing required parameter: '${path}.name'.`,
      `${path}.name`,
      "missing_required_parameter",
    );
  want(tl.name, "string", `${path}.name`);
  if (tl.type === "namespace") {
    want(tl.tools, "array", `${path}.tools`);
    tl.tools.forEach((inner: unknown, i: number) =>
      tool(inner, `${path}.tools[${i}]`, declared, tl.name),
    );
    return;
  }
  if (tl.type === "function") {
    if (!NAME_RE.test(tl.name) || tl.name.length > 64)
      fail(
        `Invalid '${path}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `${path}.name`,
        "invalid_value",
      );
    if (!optional(tl.parameters)) want(tl.parameters, "object", `${path}.parameters`);
    if (!optional(tl.strict)) want(tl.strict, "boolean", `${path}.strict`);
  }
  declared.set(tl.name, { kind: tl.type, namespace, parameters: tl.parameters });
}

function toolChoice(tc: unknown): void {
  if (optional(tc)) return;
  if (typeof tc === "string") return oneOf(tc, ["none", "auto", "required"], "tool_choice");
  want(tc, "object", "tool_choice");
  const choice = tc as Record<string, any>;
  if ((choice.type === "function" || choice.type === "custom") && choice.name === undefined)
    fail(
      `Missing required parameter: 'tool_choice.name'.`,
      "tool_choice.name",
      "missing_required_parameter",
    );
}

function options(b: Record<string, any>): void {
  if (!optional(b.reasoning)) {
    want(b.reasoning, "object", "reasoning");
    const r = b.reasoning;
    const efforts = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
    if (!optional(r.effort)) oneOf(r.effort, efforts, "reasoning.effort");
    for (const k of ["summary", "generate_summary"])
      if (!optional(r[k])) oneOf(r[k], ["auto", "concise", "detailed"], `reasoning.${k}`);
  }
  if (!optional(b.text)) {
    want(b.text, "object", "text");
    const f = b.text.format;
    if (!optional(f)) {
      want(f, "object", "text.format");
      oneOf(f.type, ["text", "json_schema", "json_object"], "text.format.type");
      if (f.type === "json_schema")
        for (const k of ["name", "schema"])
          if (f[k] === undefined)
            fail(
              `Missing required parameter: 'text.format.${k}'.`,
              `text.format.${k}`,
              "missing_required_parameter",
            );
    }
    if (!optional(b.text.verbosity))
      oneOf(b.text.verbosity, ["low", "medium", "high"], "text.verbosity");
  }
  if (!optional(b.include)) {
    want(b.include, "array", "include");
    b.include.forEach((v: unknown, i: number) => oneOf(v, INCLUDABLE, `include[${i}]`));
  }
  for (const k of ["stream", "store", "parallel_tool_calls", "background"])
    if (!optional(b[k])) want(b[k], "boolean", k);
  if (!optional(b.stream_options)) {
    if (b.stream !== true)
      fail(
        `The 'stream_options' parameter is only allowed when 'stream' is enabled.`,
        "stream_options",
      );
    want(b.stream_options, "object", "stream_options");
  }
  if (!optional(b.metadata)) want(b.metadata, "object", "metadata");
  if (!optional(b.instructions)) want(b.instructions, "string", "instructions");
  range(b.temperature, "temperature", 0, 2, false);
  range(b.top_p, "top_p", 0, 1, false);
  range(b.top_logprobs, "top_logprobs", 0, 20, true);
  // "minimum 16" in the API reference; "Invalid 'max_output_tokens': integer below minimum value.
  // Expected a value >= 16, but got 10 instead." (vectorize-io/hindsight#58).
  range(b.max_output_tokens, "max_output_tokens", 16, Number.MAX_SAFE_INTEGER, true);
}

/**
 * Throws `Invalid` with OpenAI's message, param and code; returns the callable tools by name.
 * `counting`: the input_tokens endpoint, whose parameters are a subset and whose model is optional.
 */
export function validateResponses(body: unknown, st: InputState, counting = false): Declared {
  if (!isObject(body))
    fail(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
    );
  const b = body as Record<string, any>;
  const known = counting ? COUNT_KEYS : CREATE_KEYS;
  // "Unknown parameter: 'input[3].status'." with code unknown_parameter (1jehuang/jcode#1028).
  for (const k of Object.keys(b))
    if (!known.includes(k)) fail(`Unknown parameter: '${k}'.`, k, "unknown_parameter");
  if (!counting && b.model === undefined)
    fail(`Missing required parameter: 'model'.`, "model", "missing_required_parameter");
  if (!optional(b.model)) want(b.model, "string", "model");
  // The mock keeps no responses, so every id is unknown: "Previous response with id 'resp_…' not
  // found." with code previous_response_not_found, status 400 (maximhq/bifrost#2441).
  if (!optional(b.previous_response_id))
    fail(
      `Previous response with id '${String(b.previous_response_id)}' not found.`,
      "previous_response_id",
      "previous_response_not_found",
    );
  if (!counting && b.input === undefined && optional(b.prompt) && optional(b.conversation))
    fail(`Missing required parameter: 'input'.`, "input", "missing_required_parameter");
  const declared: Declared = new Map();
  if (!optional(b.tools)) {
    want(b.tools, "array", "tools");
    b.tools.forEach((t: unknown, i: number) => tool(t, `tools[${i}]`, declared));
  }
  toolChoice(b.tool_choice);
  if (!counting) options(b);
  if (b.input !== undefined && b.input !== null) validateInput(b.input, st);
  return declared;
}
