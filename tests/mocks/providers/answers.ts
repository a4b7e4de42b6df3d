import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Answers shaped like the providers' own. Streams are recorded ones from tests/fixtures (where
 * each came from is in tests/fixtures/README.md), replayed byte for byte; where a probe needs a
 * variant (no reasoning, the probe's tool name) the recorded frames are changed field by field
 * and re-serialised. Non-streamed answers are built in the shape the provider documents.
 */

const FIXTURES = join(import.meta.dir, "../../fixtures");
const cache = new Map<string, string>();

/** A recorded body, e.g. `openai-compatible/qwen-reasoning-stream.sse`. */
export function fixture(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(join(FIXTURES, path), "utf8");
    cache.set(path, text);
  }
  return text;
}

/**
 * The stream with each `data:` JSON payload passed through `change` (which may edit it in place,
 * or return false to drop the frame); comments, `event:` lines and `[DONE]` stay as recorded.
 */
function mapFrames(sse: string, change: (data: any) => boolean | void): string {
  const out: string[] = [];
  for (const frame of sse.split("\n\n")) {
    const lines = frame.split("\n");
    const i = lines.findIndex((l) => l.startsWith("data: {"));
    if (i < 0) {
      out.push(frame);
      continue;
    }
    const data = JSON.parse(lines[i]!.slice("data: ".length));
    if (change(data) === false) continue;
    lines[i] = `data: ${JSON.stringify(data)}`;
    out.push(lines.join("\n"));
  }
  return out.join("\n\n");
}

const thought = (d: any) => d?.reasoning_content || d?.reasoning;

/** The same stream as a model answering without thinking: the reasoning-only frames left out. */
export function withoutReasoning(sse: string): string {
  return mapFrames(sse, (data) => {
    const delta = data.choices?.[0]?.delta;
    return !(thought(delta) && !delta.content && !delta.tool_calls);
  });
}

/** A recorded tool-call stream (Chat Completions) calling `name` instead of the recorded tool. */
export function renameStreamedTool(sse: string, name: string): string {
  return mapFrames(sse, (data) => {
    for (const choice of data.choices ?? [])
      for (const call of choice.delta?.tool_calls ?? [])
        if (call.function?.name) call.function.name = name;
  });
}

/** A recorded non-streamed answer (Chat Completions) calling `name` instead of the recorded tool. */
export function renameTool(json: string, name: string): unknown {
  const body = JSON.parse(json);
  for (const choice of body.choices)
    for (const call of choice.message.tool_calls) call.function.name = name;
  return body;
}

/** The tool a probe (or client) declared, which the answer calls. */
export function declaredTool(body: any): string | undefined {
  const tool = body.tools?.[0];
  return tool?.function?.name ?? tool?.name;
}

export interface ChatOptions {
  id: string;
  model: string;
  text: string;
  reasoning?: string;
  /** Answer with a call of this tool, with the arguments the probe asks for. */
  tool?: string;
  /** Provider-specific top-level fields (request_id, provider, prompt_filter_results…). */
  extra?: Record<string, unknown>;
}

/** A non-streamed Chat Completions answer. */
export function chatCompletion(o: ChatOptions): unknown {
  const message: Record<string, unknown> = { role: "assistant", content: o.tool ? "" : o.text };
  if (o.reasoning) message.reasoning_content = o.reasoning;
  if (o.tool)
    message.tool_calls = [
      {
        id: `call_${o.id.slice(-24)}`,
        type: "function",
        function: { name: o.tool, arguments: '{"status":"ok"}' },
      },
    ];
  return {
    id: o.id,
    object: "chat.completion",
    created: 1767225600,
    model: o.model,
    choices: [{ index: 0, message, finish_reason: o.tool ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
    ...o.extra,
  };
}

/** A non-streamed Anthropic Messages answer. */
export function anthropicMessage(model: string, text: string, tool?: string): unknown {
  const content = tool
    ? [{ type: "tool_use", id: "toolu_01probe", name: tool, input: { status: "ok" } }]
    : [{ type: "text", text }];
  return {
    id: "msg_01probe",
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: tool ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 2 },
  };
}

/** Whether a tool_choice forces a call (OpenAI "required" or a named function). */
export const forcesTool = (choice: unknown) =>
  choice === "required" || (typeof choice === "object" && choice !== null);

/** The error body of OpenAI and of the servers that copy its shape. */
export function openaiError(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

/** Whether a conversation replays a tool-call turn without the reasoning that came with it. */
export function toolTurnWithoutReasoning(body: any): number {
  return body.messages.findIndex(
    (m: any) => m.role === "assistant" && m.tool_calls?.length && !m.reasoning_content,
  );
}
