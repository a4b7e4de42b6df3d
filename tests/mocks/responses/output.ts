// Output items of a Responses answer, each with the stream events that build it, in the order
// and with the fields api.openai.com sends (openai-node SDK types `ResponseOutputItem` and
// `ResponseStreamEvent`; field order as in recorded api.openai.com streams). One builder per item
// kind: the non-stream body uses `item`, the stream uses `events`.
import { randomId, splitJson, splitText, type PlannedCall } from "../util.ts";
import type { Declared } from "./validate.ts";

export type Ev = { type: string } & Record<string, unknown>;
export interface Built {
  item: Record<string, unknown>;
  events: Ev[];
}
export interface Pace {
  chunks?: number;
  /** stream_options.include_obfuscation: random padding on delta events, on by default */
  obfuscate: boolean;
}

/**
 * Real deltas carry padding that evens out their length, so sizes do not leak the text. `extra`
 * lands between the delta and the padding, where text deltas have their `logprobs`.
 */
function withDelta(ev: Ev, delta: string, pace: Pace, extra: Record<string, unknown> = {}): Ev {
  const out: Ev = { ...ev, delta, ...extra };
  if (pace.obfuscate) out.obfuscation = randomId("", Math.max(1, 16 - delta.length));
  return out;
}

const added = (index: number, item: Record<string, unknown>): Ev => ({
  type: "response.output_item.added",
  output_index: index,
  item,
});
const done = (index: number, item: Record<string, unknown>): Ev => ({
  type: "response.output_item.done",
  output_index: index,
  item,
});

export function message(
  index: number,
  text: string,
  status: "completed" | "incomplete",
  pace: Pace,
): Built {
  const id = randomId("msg_", 48);
  const part = (t: string) => ({ type: "output_text", annotations: [], logprobs: [], text: t });
  const item = { id, type: "message", status, content: [part(text)], role: "assistant" };
  const at = { item_id: id, output_index: index, content_index: 0 };
  const events: Ev[] = [
    added(index, { id, type: "message", status: "in_progress", content: [], role: "assistant" }),
    { type: "response.content_part.added", ...at, part: part("") },
    ...splitText(text, pace.chunks).map((d) =>
      withDelta({ type: "response.output_text.delta", ...at }, d, pace, { logprobs: [] }),
    ),
    { type: "response.output_text.done", ...at, text, logprobs: [] },
    { type: "response.content_part.done", ...at, part: part(text) },
    done(index, item),
  ];
  return { item, events };
}

/**
 * A reasoning item. The summary is sent only when the request asked for one
 * (`reasoning.summary`); raw reasoning text (`content`) comes first, as `reasoning_text`.
 */
export function reasoning(
  index: number,
  thinking: { summary?: string; content?: string; sealed?: string },
  pace: Pace,
): Built {
  const id = randomId("rs_", 48);
  const sealed = thinking.sealed ? { encrypted_content: thinking.sealed } : {};
  const summary = thinking.summary === undefined ? [] : [summaryPart(thinking.summary)];
  const raw = thinking.content;
  const item: Record<string, unknown> = { id, type: "reasoning", ...sealed, summary };
  if (raw !== undefined) item.content = [{ type: "reasoning_text", text: raw }];
  const events: Ev[] = [added(index, { id, type: "reasoning", ...sealed, summary: [] })];
  if (raw !== undefined) {
    const at = { item_id: id, output_index: index, content_index: 0 };
    const part = (t: string) => ({ type: "reasoning_text", text: t });
    events.push(
      { type: "response.content_part.added", ...at, part: part("") },
      ...splitText(raw, pace.chunks).map((d) =>
        withDelta({ type: "response.reasoning_text.delta", ...at }, d, pace),
      ),
      { type: "response.reasoning_text.done", ...at, text: raw },
      { type: "response.content_part.done", ...at, part: part(raw) },
    );
  }
  if (thinking.summary !== undefined) {
    const text = thinking.summary;
    const at = { item_id: id, output_index: index, summary_index: 0 };
    events.push(
      { type: "response.reasoning_summary_part.added", ...at, part: summaryPart("") },
      ...splitText(text, pace.chunks).map((d) =>
        withDelta({ type: "response.reasoning_summary_text.delta", ...at }, d, pace),
      ),
      { type: "response.reasoning_summary_text.done", ...at, text },
      { type: "response.reasoning_summary_part.done", ...at, part: summaryPart(text) },
    );
  }
  events.push(done(index, item));
  return { item, events };
}

const summaryPart = (text: string) => ({ type: "summary_text", text });

/** The free text a custom tool receives when the script gave JSON arguments instead. */
function freeText(c: PlannedCall): string {
  if (c.input !== undefined) return c.input;
  const values = Object.values(c.args);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : JSON.stringify(c.args);
}

/**
 * A tool call: `custom_tool_call` when the request declared the tool `custom` (free-text
 * `input`), else `function_call` with JSON `arguments` (and its `namespace` when declared in one).
 */
export function toolCall(index: number, c: PlannedCall, declared: Declared, pace: Pace): Built {
  const decl = declared.get(c.name);
  const callId = c.id ?? randomId("call_", 24);
  const ns = decl?.namespace ? { namespace: decl.namespace } : {};
  if (decl?.kind === "custom") {
    const id = randomId("ctc_", 48);
    const input = freeText(c);
    const shape = (status: string, text: string) => ({
      id,
      type: "custom_tool_call",
      status,
      call_id: callId,
      input: text,
      name: c.name,
      ...ns,
    });
    const at = { item_id: id, output_index: index };
    const item = shape("completed", input);
    return {
      item,
      events: [
        added(index, shape("in_progress", "")),
        ...splitText(input, pace.chunks).map((d) =>
          withDelta({ type: "response.custom_tool_call_input.delta", ...at }, d, pace),
        ),
        { type: "response.custom_tool_call_input.done", ...at, input },
        done(index, item),
      ],
    };
  }
  const id = randomId("fc_", 48);
  const args = JSON.stringify(c.args);
  const shape = (status: string, text: string) => ({
    id,
    type: "function_call",
    status,
    arguments: text,
    call_id: callId,
    name: c.name,
    ...ns,
  });
  const at = { item_id: id, output_index: index };
  const item = shape("completed", args);
  return {
    item,
    events: [
      added(index, shape("in_progress", "")),
      ...splitJson(args).map((d) =>
        withDelta({ type: "response.function_call_arguments.delta", ...at }, d, pace),
      ),
      { type: "response.function_call_arguments.done", ...at, arguments: args },
      done(index, item),
    ],
  };
}
