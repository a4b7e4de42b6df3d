import type { Reply, ReplyToolCall } from "./types.ts";

/** Thrown by validators; each provider turns it into its own error envelope. */
export class Invalid extends Error {
  constructor(
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly status = 400,
  ) {
    super(message);
  }
}

export const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

/**
 * Stream deltas: per word by default (whitespace stays attached to the following word, as
 * real tokenisers do), or `chunks` nearly equal pieces so tests can pin the event count.
 */
export function splitText(text: string, chunks?: number): string[] {
  if (!text) return [];
  if (chunks && chunks > 0) {
    const chars = Array.from(text);
    const n = Math.min(chunks, chars.length);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        chars
          .slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n))
          .join(""),
      );
    }
    return out;
  }
  return text.split(/(?=\s+\S)/).filter((p) => p !== "");
}

/** Argument JSON arrives in fragments upstream; three pieces exercise reassembly without noise. */
export function splitJson(json: string): string[] {
  if (json.length < 6) return [json];
  const a = Math.floor(json.length / 3);
  const b = Math.floor((2 * json.length) / 3);
  return [json.slice(0, a), json.slice(a, b), json.slice(b)];
}

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export function randomId(prefix: string, len: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(len));
  let s = prefix;
  for (const b of bytes) s += B62[b % 62];
  return s;
}

/** Key order must not matter when matching replayed tool arguments against what was issued. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as any)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Google's streaming JSON puts a space after each colon and none after commas. */
export function googleCompact(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(googleCompact).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${googleCompact(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export const sseFrame = (data: string, event?: string): string =>
  `${event ? `event: ${event}\n` : ""}data: ${data}\n\n`;

export const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** A tool call with its JSON arguments settled (freeform `input` folded in where needed). */
export interface PlannedCall {
  id?: string;
  name: string;
  args: Record<string, unknown>;
  input?: string;
}

/** The JSON Schema a request declared for a tool's parameters, looked up by tool name. */
export type ParamsOf = (toolName: string) => unknown;

/**
 * The one string parameter a function standing in for a freeform tool takes: the only property
 * of type string, else the only required one, else `input`.
 */
function freeformParam(schema: unknown): string {
  const props = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  const strings = Object.keys(props).filter(
    (k) => String((props[k] as any)?.type ?? "").toLowerCase() === "string",
  );
  if (strings.length === 1) return strings[0];
  const required = isObject(schema) && Array.isArray(schema.required) ? schema.required : [];
  return required.length === 1 ? String(required[0]) : "input";
}

function planCall(c: ReplyToolCall, paramsOf?: ParamsOf): PlannedCall {
  if (c.args !== undefined || c.input === undefined) return { ...c, args: c.args ?? {} };
  return { ...c, args: { [freeformParam(paramsOf?.(c.name))]: c.input } };
}

/** What a reply resolves to once defaults are applied; shared by all the emitters. */
export interface Plan {
  text: string;
  thinking?: { text: string; signature?: string; content?: string };
  calls: PlannedCall[];
  finish?: string;
  chunks?: number;
  /** output includes reasoning; providers that report thoughts separately subtract it */
  usage: { input: number; output: number; reasoning: number };
}

export function makePlan(
  reply: Reply,
  echoSource: string,
  inputText: string,
  paramsOf?: ParamsOf,
): Plan {
  const calls = (reply.toolCalls ?? []).map((c) => planCall(c, paramsOf));
  const text = reply.text ?? (calls.length ? "" : `echo: ${echoSource}`);
  const reasoning = reply.thinking ? words(reply.thinking.text) : 0;
  return {
    text,
    thinking: reply.thinking,
    calls,
    finish: reply.finish,
    chunks: reply.chunks,
    usage: {
      input: reply.usage?.input ?? words(inputText),
      output: reply.usage?.output ?? words(text) + reasoning,
      reasoning: Math.min(reasoning, reply.usage?.output ?? Infinity),
    },
  };
}
