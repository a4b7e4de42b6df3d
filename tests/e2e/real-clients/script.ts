import type { MockKind, MockUpstream, RecordedRequest, Reply, Responder } from "../../mocks";

/**
 * A scripted "model" for the strict mocks, so a real CLI can finish a file-reading task: it asks
 * for the CLI's own read tool, then answers from the tool result. Everything is read from the
 * request in the upstream's own format, because after conversion the mock only ever sees that.
 */

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

type Schema = { properties?: Record<string, unknown>; required?: string[] } | undefined;

/** Every function tool the request declares, with its parameter schema, whatever the format. */
function declaredTools(kind: MockKind, body: any): { name: string; schema: Schema }[] {
  const tools: any[] = Array.isArray(body?.tools) ? body.tools : [];
  if (kind === "anthropic")
    return tools
      .filter((t) => typeof t?.name === "string")
      .map((t) => ({ name: t.name, schema: t.input_schema }));
  if (kind === "openai")
    return tools
      .filter((t) => t?.type === "function")
      .map((t) => ({ name: t.function.name, schema: t.function.parameters }));
  return tools
    .flatMap((t) => (Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : []))
    .map((d: any) => ({ name: d.name, schema: d.parametersJsonSchema ?? d.parameters }));
}

/**
 * Claude Code calls its reader `Read`, Gemini CLI `read_file`; matching the normalised name
 * keeps `read_many_files`, `ReadMcpResource` and the like out. The path argument is taken from
 * the schema (`file_path` today, `absolute_path` in older Gemini CLIs) rather than hard-coded.
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
  return false;
}

export function fileReader(kind: MockKind, target: Target): Responder {
  return (req: RecordedRequest): Reply => {
    const tool = findReadTool(kind, req.body);
    // Title, topic and quota calls carry no tools; any short answer keeps the CLI going.
    if (!tool) return { text: "OK." };
    const results = toolResults(kind, req.body);
    if (results.length === 0) {
      return {
        ...(wantsThinking(kind, req.body)
          ? { thinking: { text: "The user wants the file; I will read it." } }
          : {}),
        toolCalls: [{ name: tool.name, args: { [tool.pathArg]: target.path } }],
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

/** Accepted requests whose history holds a tool result carrying `content`. */
export function requestsWithResult(mock: MockUpstream, content: string): RecordedRequest[] {
  return mock.requests.filter(
    (r) => !r.rejected && toolResults(mock.kind, r.body).some((t) => t.includes(content)),
  );
}
