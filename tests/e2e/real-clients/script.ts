import type { MockKind, MockUpstream, RecordedRequest, Reply, Responder } from "../../mocks";

/**
 * A scripted "model" for the strict mocks, so a real CLI can finish a file task: it asks for the
 * CLI's own read tool (or its shell, or apply_patch), then answers from the tool result.
 * Everything is read from the request in the upstream's own format, because after conversion
 * the mock only ever sees that.
 */

type ToolCall = NonNullable<Reply["toolCalls"]>[number];

export interface ReadTool {
  name: string;
  /** the argument that takes the file's path, as the tool's schema declares it */
  pathArg: string;
}

export interface Target {
  /** absolute, so the tool cannot resolve it against another directory */
  path: string;
  content: string;
}

type Schema = { properties?: Record<string, any>; required?: string[] } | undefined;

interface Declared {
  name: string;
  schema: Schema;
  /** a Responses `custom` tool: called with free text (Codex's apply_patch), no schema */
  freeform: boolean;
}

/** Every function tool the request declares, with its parameter schema, whatever the format. */
function declaredTools(kind: MockKind, body: any): Declared[] {
  const tools: any[] = Array.isArray(body?.tools) ? body.tools : [];
  if (kind === "anthropic")
    return tools
      .filter((t) => typeof t?.name === "string")
      .map((t) => ({ name: t.name, schema: t.input_schema, freeform: false }));
  if (kind === "openai")
    return tools
      .filter((t) => t?.type === "function")
      .map((t) => ({ name: t.function.name, schema: t.function.parameters, freeform: false }));
  // Namespaces and built-in tools (web_search) are none of the CLIs' file tools.
  if (kind === "responses")
    return tools
      .filter((t) => (t?.type === "function" || t?.type === "custom") && typeof t.name === "string")
      .map((t) => ({ name: t.name, schema: t.parameters, freeform: t.type === "custom" }));
  return tools
    .flatMap((t) => (Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : []))
    .map((d: any) => ({
      name: d.name,
      schema: d.parametersJsonSchema ?? d.parameters,
      freeform: false,
    }));
}

/** Whether the request declares a tool of that name, whatever the format. */
export const declaresTool = (kind: MockKind, body: unknown, name: string) =>
  declaredTools(kind, body).some((t) => t.name === name);

/**
 * Claude Code calls its reader `Read`, Gemini CLI `read_file`, opencode `read`; matching the
 * normalised name keeps `read_many_files`, `ReadMcpResource` and the like out. The path argument
 * is taken from the schema (`file_path` today, `absolute_path` in older Gemini CLIs, `filePath`
 * in opencode) rather than hard-coded.
 */
function findReadTool(kind: MockKind, body: any): ReadTool | undefined {
  for (const t of declaredTools(kind, body)) {
    if (!["read", "readfile"].includes(t.name.toLowerCase().replaceAll("_", ""))) continue;
    const props = Object.keys(t.schema?.properties ?? {});
    const pathArg =
      (t.schema?.required ?? []).find((p) => /path/i.test(p)) ?? props.find((p) => /path/i.test(p));
    if (pathArg) return { name: t.name, pathArg };
  }
  return undefined;
}

/**
 * Codex has no file reader; it reads with its shell tool: `exec_command` (`cmd`) today,
 * `shell_command` (`command`) or `shell` (`command` as an argv array) in other versions.
 */
const SHELL_TOOLS = ["exec_command", "shell_command", "shell"];

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** A call of the request's file reader, or else of its shell running `cat`, for `path`. */
function readCall(kind: MockKind, body: any, path: string): ToolCall | undefined {
  const reader = findReadTool(kind, body);
  if (reader) return { name: reader.name, args: { [reader.pathArg]: path } };
  for (const t of declaredTools(kind, body)) {
    if (t.freeform || !SHELL_TOOLS.includes(t.name)) continue;
    const props = t.schema?.properties ?? {};
    const arg = ["cmd", "command"].find((p) => p in props);
    if (!arg) continue;
    // Gemini schemas spell types in capitals (ARRAY), whichever way the router wrote them.
    const argv = /^array$/i.test(String(props[arg]?.type));
    return { name: t.name, args: { [arg]: argv ? ["cat", path] : `cat ${shellQuote(path)}` } };
  }
  return undefined;
}

const textOf = (v: unknown): string => {
  if (typeof v === "string") return v;
  if (Array.isArray(v))
    return v.map((b: any) => (typeof b?.text === "string" ? b.text : "")).join("");
  return "";
};

/** The text of every tool result in the request's history, oldest first. */
function toolResults(kind: MockKind, body: any): string[] {
  if (kind === "anthropic") {
    return (body?.messages ?? []).flatMap((m: any) =>
      Array.isArray(m?.content)
        ? m.content.filter((b: any) => b?.type === "tool_result").map((b: any) => textOf(b.content))
        : [],
    );
  }
  if (kind === "openai")
    return (body?.messages ?? [])
      .filter((m: any) => m?.role === "tool")
      .map((m: any) => textOf(m.content));
  if (kind === "responses")
    return (Array.isArray(body?.input) ? body.input : [])
      .filter(
        (i: any) => i?.type === "function_call_output" || i?.type === "custom_tool_call_output",
      )
      .map((i: any) => textOf(i.output));
  // A functionResponse's payload is free-form JSON; Gemini CLI puts the text under `output`.
  return (body?.contents ?? []).flatMap((c: any) =>
    (c?.parts ?? [])
      .filter((p: any) => p?.functionResponse)
      .map((p: any) => JSON.stringify(p.functionResponse.response ?? {})),
  );
}

/**
 * Real models think before a tool call when asked to, and Anthropic then insists the thinking is
 * replayed next turn; mirroring that makes the scenario exercise signature round trips too.
 */
function wantsThinking(kind: MockKind, body: any): boolean {
  if (kind === "anthropic")
    return body?.thinking?.type === "enabled" || body?.thinking?.type === "adaptive";
  if (kind === "gemini") return body?.generationConfig?.thinkingConfig?.includeThoughts === true;
  if (kind === "responses") return ![undefined, "none"].includes(body?.reasoning?.effort);
  return false;
}

const thinkingFor = (kind: MockKind, body: any, text: string): Reply =>
  wantsThinking(kind, body) ? { thinking: { text } } : {};

export function fileReader(kind: MockKind, target: Target): Responder {
  return (req: RecordedRequest): Reply => {
    const call = readCall(kind, req.body, target.path);
    // Title, topic and quota calls carry no tools; any short answer keeps the CLI going.
    if (!call) return { text: "OK." };
    const results = toolResults(kind, req.body);
    if (results.length === 0) {
      return {
        ...thinkingFor(kind, req.body, "The user wants the file; I will read it."),
        toolCalls: [call],
      };
    }
    // Without the content in the tool result the answer must not contain it either, or the
    // test could pass on an echo; the head of what did arrive helps diagnose the miss.
    if (results.some((r) => r.includes(target.content)))
      return { text: `The file says: ${target.content}` };
    return {
      text: `The tool result did not hold the file. It began: ${results.at(-1)!.slice(0, 200)}`,
    };
  };
}

/**
 * Reads `targets` one after another, one tool call per request, then answers with all their
 * contents: one session of `targets.length + 1` requests, for tests that follow a session.
 */
export function filesReader(kind: MockKind, targets: Target[]): Responder {
  return (req: RecordedRequest): Reply => {
    const results = toolResults(kind, req.body);
    const next = targets[results.length];
    const call = readCall(kind, req.body, (next ?? targets[0]!).path);
    if (!call) return { text: "OK." };
    if (next)
      return {
        ...thinkingFor(kind, req.body, `Next I will read ${next.path}.`),
        toolCalls: [call],
      };
    if (targets.every((t) => results.some((r) => r.includes(t.content))))
      return { text: `The files say: ${targets.map((t) => t.content).join(" ")}` };
    return {
      text: `A tool result did not hold its file. The last began: ${results.at(-1)!.slice(0, 200)}`,
    };
  };
}

/** Accepted requests whose history holds a tool result carrying `content`. */
export function requestsWithResult(mock: MockUpstream, content: string): RecordedRequest[] {
  return mock.requests.filter(
    (r) => !r.rejected && toolResults(mock.kind, r.body).some((t) => t.includes(content)),
  );
}

/** One line of a file replaced through Codex's apply_patch. */
export interface LineEdit {
  /** relative to the working directory, as apply_patch paths are */
  file: string;
  before: string;
  after: string;
}

export const patchText = (e: LineEdit) =>
  [
    "*** Begin Patch",
    `*** Update File: ${e.file}`,
    "@@",
    `-${e.before}`,
    `+${e.after}`,
    "*** End Patch",
  ].join("\n");

/**
 * A call of `apply_patch`. To a Responses upstream it is the `custom` tool Codex declared, called
 * with free text (`input`). Other upstreams see what the router made of it: a function whose one
 * string parameter carries the patch, whatever the router named that parameter.
 */
function patchCall(kind: MockKind, body: any, edit: LineEdit): ToolCall | undefined {
  const tool = declaredTools(kind, body).find((t) => t.name === "apply_patch");
  if (!tool) return undefined;
  if (tool.freeform) return { name: tool.name, input: patchText(edit) };
  const param = tool.schema?.required?.[0] ?? Object.keys(tool.schema?.properties ?? {})[0];
  return param ? { name: tool.name, args: { [param]: patchText(edit) } } : undefined;
}

/** Asks Codex to apply the edit, then reports what apply_patch answered. */
export function filePatcher(kind: MockKind, edit: LineEdit): Responder {
  return (req: RecordedRequest): Reply => {
    const call = patchCall(kind, req.body, edit);
    if (!call) return { text: "OK." };
    const results = toolResults(kind, req.body);
    if (results.length === 0)
      return {
        ...thinkingFor(kind, req.body, `I will change ${edit.file} with apply_patch.`),
        toolCalls: [call],
      };
    return { text: `apply_patch answered: ${results.at(-1)!.slice(0, 300)}` };
  };
}
