// Request validation for POST /v1/chat/completions, with OpenAI's own messages, `param` and
// `code` values so the router's error mapping is tested against the real strings.
import { isObject } from "../util.ts";
import { fail, oneOf, range, typeName, want } from "./checks.ts";

const TOP_LEVEL = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "n",
  "stop",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "user",
  "seed",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
  "metadata",
  "store",
  "service_tier",
  "modalities",
  "audio",
  "prediction",
  "verbosity",
  "prompt_cache_key",
  "safety_identifier",
  "web_search_options",
  // Deprecated but still accepted by the API, so a passthrough must not be punished for them.
  "functions",
  "function_call",
]);
const ROLES = ["system", "developer", "user", "assistant", "tool"];
const MESSAGE_KEYS: Record<string, string[]> = {
  system: ["role", "content", "name"],
  developer: ["role", "content", "name"],
  user: ["role", "content", "name"],
  // reasoning_content: this mock also plays DeepSeek-style servers, which want it echoed back.
  assistant: ["role", "content", "name", "tool_calls", "refusal", "audio", "reasoning_content"],
  tool: ["role", "content", "tool_call_id"],
};
const NAME_RE = /^[a-zA-Z0-9_-]+$/;
const IMAGE_MIME = ["image/png", "image/jpeg", "image/gif", "image/webp"];

function noExtraKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      fail(`Additional properties are not allowed ('${k}' was unexpected) - '${where}'`);
  }
}

function nonEmptyArray(v: unknown, path: string): unknown[] {
  want(v, "array", path);
  const arr = v as unknown[];
  if (arr.length === 0)
    fail(
      `Invalid '${path}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      path,
      "empty_array",
    );
  return arr;
}

function textParts(content: unknown, path: string, role: string, allowed: string[]): void {
  if (typeof content === "string") return;
  if (!Array.isArray(content))
    fail(
      `Invalid type for '${path}': expected one of a string or array of objects, but got ${typeName(content)} instead.`,
      path,
      "invalid_type",
    );
  nonEmptyArray(content, path).forEach((p, j) => {
    const pp = `${path}[${j}]`;
    want(p, "object", pp);
    const part = p as Record<string, any>;
    if (part.type === "image_url" && role !== "user")
      fail(
        `Image URLs are only allowed for messages with role 'user', but this message with role '${role}' contains an image URL.`,
        `${pp}.type`,
        "invalid_value",
      );
    oneOf(part.type, allowed, `${pp}.type`);
    if (part.type === "text") {
      noExtraKeys(part, ["type", "text"], pp);
      want(part.text, "string", `${pp}.text`);
    } else if (part.type === "refusal") {
      noExtraKeys(part, ["type", "refusal"], pp);
      want(part.refusal, "string", `${pp}.refusal`);
    } else userPart(part, pp);
  });
}

function userPart(part: Record<string, any>, pp: string): void {
  if (part.type === "image_url") {
    noExtraKeys(part, ["type", "image_url"], pp);
    want(part.image_url, "object", `${pp}.image_url`);
    noExtraKeys(part.image_url, ["url", "detail"], `${pp}.image_url`);
    want(part.image_url.url, "string", `${pp}.image_url.url`);
    const url: string = part.image_url.url;
    const data = /^data:([^;,]+);base64,/.exec(url);
    if (url.startsWith("data:") && (!data || !IMAGE_MIME.includes(data[1]))) {
      fail(
        `Invalid '${pp}.image_url.url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type '${data?.[1] ?? url.slice(5, 30)}'.`,
        `${pp}.image_url.url`,
        "invalid_value",
      );
    }
    if (!data && !/^https?:\/\//.test(url))
      fail(
        `Invalid image URL: '${pp}.image_url.url'. Expected a valid URL, but got a value that is not a URL.`,
        `${pp}.image_url.url`,
        "invalid_value",
      );
    if (part.image_url.detail !== undefined)
      oneOf(part.image_url.detail, ["auto", "low", "high"], `${pp}.image_url.detail`);
  } else if (part.type === "input_audio") {
    noExtraKeys(part, ["type", "input_audio"], pp);
    want(part.input_audio, "object", `${pp}.input_audio`);
    want(part.input_audio.data, "string", `${pp}.input_audio.data`);
    oneOf(part.input_audio.format, ["wav", "mp3"], `${pp}.input_audio.format`);
  } else if (part.type === "file") {
    noExtraKeys(part, ["type", "file"], pp);
    want(part.file, "object", `${pp}.file`);
    noExtraKeys(part.file, ["file_id", "file_data", "filename"], `${pp}.file`);
    if (part.file.file_id === undefined && part.file.file_data === undefined)
      fail(
        `Missing required parameter: '${pp}.file.file_id'.`,
        `${pp}.file.file_id`,
        "missing_required_parameter",
      );
    if (
      part.file.file_data !== undefined &&
      !/^data:[^;,]+;base64,/.test(String(part.file.file_data))
    )
      fail(
        `Invalid '${pp}.file.file_data': expected a base64-encoded data URL.`,
        `${pp}.file.file_data`,
        "invalid_value",
      );
  }
}

function toolCall(tc: unknown, path: string): string {
  want(tc, "object", path);
  const c = tc as Record<string, any>;
  noExtraKeys(c, ["id", "type", "function"], path);
  if (c.id === undefined)
    fail(`Missing required parameter: '${path}.id'.`, `${path}.id`, "missing_required_parameter");
  want(c.id, "string", `${path}.id`);
  if (c.id.length > 40)
    fail(
      `Invalid '${path}.id': string too long. Expected a string with maximum length 40, but got a string with length ${c.id.length} instead.`,
      `${path}.id`,
      "string_above_max_length",
    );
  oneOf(c.type, ["function"], `${path}.type`);
  want(c.function, "object", `${path}.function`);
  noExtraKeys(c.function, ["name", "arguments"], `${path}.function`);
  for (const k of ["name", "arguments"]) {
    if (c.function[k] === undefined)
      fail(
        `Missing required parameter: '${path}.function.${k}'.`,
        `${path}.function.${k}`,
        "missing_required_parameter",
      );
    want(c.function[k], "string", `${path}.function.${k}`);
  }
  return c.id;
}

function message(m: unknown, i: number): void {
  const path = `messages[${i}]`;
  want(m, "object", path);
  const msg = m as Record<string, any>;
  if (msg.role === undefined)
    fail(
      `Missing required parameter: '${path}.role'.`,
      `${path}.role`,
      "missing_required_parameter",
    );
  oneOf(msg.role, ROLES, `${path}.role`);
  noExtraKeys(msg, MESSAGE_KEYS[msg.role], `messages.${i}`);
  if (msg.name !== undefined) want(msg.name, "string", `${path}.name`);
  const content = msg.content;
  if (msg.role === "assistant") {
    if (content === undefined || content === null) {
      if (!msg.tool_calls)
        fail(
          `Invalid value for 'content': expected a string, got null.`,
          `messages.[${i}].content`,
        );
    } else textParts(content, `${path}.content`, "assistant", ["text", "refusal"]);
    if (msg.tool_calls !== undefined)
      nonEmptyArray(msg.tool_calls, `${path}.tool_calls`).forEach((tc, j) =>
        toolCall(tc, `${path}.tool_calls[${j}]`),
      );
    if (msg.reasoning_content !== undefined && msg.reasoning_content !== null)
      want(msg.reasoning_content, "string", `${path}.reasoning_content`);
    return;
  }
  if (content === undefined)
    fail(
      `Missing required parameter: '${path}.content'.`,
      `${path}.content`,
      "missing_required_parameter",
    );
  if (msg.role === "user")
    textParts(content, `${path}.content`, "user", ["text", "image_url", "input_audio", "file"]);
  else textParts(content, `${path}.content`, msg.role, ["text"]);
  if (msg.role === "tool") {
    if (msg.tool_call_id === undefined)
      fail(
        `Missing required parameter: '${path}.tool_call_id'.`,
        `${path}.tool_call_id`,
        "missing_required_parameter",
      );
    want(msg.tool_call_id, "string", `${path}.tool_call_id`);
  }
}

/** OpenAI checks tool pairing on the whole conversation after the per-message schema. */
function pairing(messages: Record<string, any>[]): void {
  let open: { index: number; ids: Set<string>; all: Set<string> } | null = null;
  const unanswered = () => {
    if (open && open.ids.size)
      fail(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open.ids].join(", ")}`,
        `messages.[${open.index}].role`,
      );
  };
  messages.forEach((m, i) => {
    if (m.role === "tool") {
      if (!open || !open.all.has(m.tool_call_id))
        fail(
          `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`,
          `messages.[${i}].role`,
        );
      open!.ids.delete(m.tool_call_id);
    } else if (m.role === "user" || m.role === "assistant") {
      unanswered();
      open = null;
      if (m.role === "assistant" && m.tool_calls) {
        const ids = m.tool_calls.map((c: any) => c.id as string);
        open = { index: i, ids: new Set(ids), all: new Set(ids) };
      }
    }
  });
  unanswered();
}

function tools(body: Record<string, any>): Set<string> {
  const names = new Set<string>();
  if (body.tools === undefined) return names;
  nonEmptyArray(body.tools, "tools").forEach((t, i) => {
    const path = `tools[${i}]`;
    want(t, "object", path);
    const tool = t as Record<string, any>;
    oneOf(tool.type, ["function"], `${path}.type`);
    if (tool.function === undefined)
      fail(
        `Missing required parameter: '${path}.function'.`,
        `${path}.function`,
        "missing_required_parameter",
      );
    want(tool.function, "object", `${path}.function`);
    const fn = tool.function;
    noExtraKeys(fn, ["name", "description", "parameters", "strict"], `${path}.function`);
    if (fn.name === undefined)
      fail(
        `Missing required parameter: '${path}.function.name'.`,
        `${path}.function.name`,
        "missing_required_parameter",
      );
    want(fn.name, "string", `${path}.function.name`);
    if (fn.name.length > 64)
      fail(
        `Invalid '${path}.function.name': string too long. Expected a string with maximum length 64, but got a string with length ${fn.name.length} instead.`,
        `${path}.function.name`,
        "string_above_max_length",
      );
    if (!NAME_RE.test(fn.name))
      fail(
        `Invalid '${path}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `${path}.function.name`,
        "invalid_value",
      );
    if (fn.description !== undefined)
      want(fn.description, "string", `${path}.function.description`);
    if (fn.strict !== undefined && fn.strict !== null)
      want(fn.strict, "boolean", `${path}.function.strict`);
    if (fn.parameters !== undefined) {
      want(fn.parameters, "object", `${path}.function.parameters`);
      if (fn.parameters.type !== "object")
        fail(
          `Invalid schema for function '${fn.name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${fn.parameters.type ?? "None"}"'.`,
          `${path}.function.parameters`,
          "invalid_function_parameters",
        );
    }
    names.add(fn.name);
  });
  return names;
}

function toolChoice(body: Record<string, any>, names: Set<string>): void {
  const tc = body.tool_choice;
  if (body.parallel_tool_calls !== undefined) {
    want(body.parallel_tool_calls, "boolean", "parallel_tool_calls");
    if (!names.size)
      fail(
        `Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.`,
        "parallel_tool_calls",
      );
  }
  if (tc === undefined || tc === null) return;
  if (!names.size)
    fail(
      `Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.`,
      "tool_choice",
    );
  if (typeof tc === "string") return oneOf(tc, ["none", "auto", "required"], "tool_choice");
  want(tc, "object", "tool_choice");
  oneOf(tc.type, ["function"], "tool_choice.type");
  want(tc.function, "object", "tool_choice.function");
  want(tc.function.name, "string", "tool_choice.function.name");
  if (!names.has(tc.function.name))
    fail(
      `Invalid value for 'tool_choice': no function named '${tc.function.name}' was specified in the 'tools' parameter.`,
      "tool_choice",
    );
}

function sampling(body: Record<string, any>): void {
  range(body.temperature, "temperature", 0, 2, false);
  range(body.top_p, "top_p", 0, 1, false);
  range(body.presence_penalty, "presence_penalty", -2, 2, false);
  range(body.frequency_penalty, "frequency_penalty", -2, 2, false);
  range(body.n, "n", 1, 128, true);
  range(body.max_tokens, "max_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  range(body.max_completion_tokens, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  range(body.top_logprobs, "top_logprobs", 0, 20, true);
  if (body.seed !== undefined && body.seed !== null) want(body.seed, "integer", "seed");
  if (body.stop !== undefined && body.stop !== null && typeof body.stop !== "string") {
    want(body.stop, "array", "stop");
    if (body.stop.length > 4)
      fail(
        `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ${body.stop.length} instead.`,
        "stop",
        "array_above_max_length",
      );
    body.stop.forEach((s: unknown, i: number) => want(s, "string", `stop[${i}]`));
  }
  if (body.reasoning_effort !== undefined && body.reasoning_effort !== null)
    oneOf(
      body.reasoning_effort,
      ["none", "minimal", "low", "medium", "high", "xhigh"],
      "reasoning_effort",
    );
  if (body.response_format !== undefined) {
    want(body.response_format, "object", "response_format");
    oneOf(
      body.response_format.type,
      ["text", "json_object", "json_schema"],
      "response_format.type",
    );
    if (body.response_format.type === "json_schema") {
      if (!isObject(body.response_format.json_schema))
        fail(
          `Missing required parameter: 'response_format.json_schema'.`,
          "response_format.json_schema",
          "missing_required_parameter",
        );
      if (typeof body.response_format.json_schema.name !== "string")
        fail(
          `Missing required parameter: 'response_format.json_schema.name'.`,
          "response_format.json_schema.name",
          "missing_required_parameter",
        );
    }
  }
}

export function validateChat(body: unknown): void {
  if (!isObject(body)) {
    fail(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
    );
  }
  const b = body as Record<string, any>;
  for (const k of Object.keys(b))
    if (!TOP_LEVEL.has(k)) fail(`Unrecognized request argument supplied: ${k}`);
  if (b.model === undefined) fail("you must provide a model parameter");
  want(b.model, "string", "model");
  if (b.messages === undefined)
    fail(`Missing required parameter: 'messages'.`, "messages", "missing_required_parameter");
  nonEmptyArray(b.messages, "messages").forEach(message);
  pairing(b.messages);
  toolChoice(b, tools(b));
  if (b.stream !== undefined && b.stream !== null) want(b.stream, "boolean", "stream");
  if (b.stream_options !== undefined && b.stream_options !== null) {
    if (b.stream !== true)
      fail(
        `The 'stream_options' parameter is only allowed when 'stream' is enabled.`,
        "stream_options",
      );
    want(b.stream_options, "object", "stream_options");
    noExtraKeys(b.stream_options, ["include_usage", "include_obfuscation"], "stream_options");
  }
  sampling(b);
}
