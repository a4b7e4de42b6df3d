import type { Finish, IRRequest, RouterError, StreamEvent, Usage } from "../../ir";
import type { CodecContext, StreamEncoder } from "../codec";
import { isObject } from "../read";
import { signatureToGemini } from "../signature";
import { jsonString, sseData } from "../sse/frames";
import type * as Gemini from "./api";
import { errorBody } from "./error";
import { encodeFinish } from "./finish";
import { encodeUsage } from "./usage";

export interface GeminiStreamOptions {
  /** `streamGenerateContent` without `alt=sse`: one JSON array, elements written as they come. */
  jsonArray?: boolean;
}

/**
 * IR events → a Gemini client's stream (§3.3): every chunk a complete GenerateContentResponse
 * with delta parts. Each part is held back until the next event arrives, so that the last one
 * can share the final chunk with finishReason and usage, as Google's own streams do — the JS
 * SDK's chat only keeps a turn in its history when every chunk has content, and a trailing
 * content-less chunk would make it drop the whole answer. Function calls are written whole.
 */
export function createStreamEncoder(
  ctx: CodecContext,
  req: IRRequest,
  opts: GeminiStreamOptions = {},
): StreamEncoder {
  return new GeminiStreamEncoder(ctx, req, opts.jsonArray === true);
}

interface OpenCall {
  id: string;
  name: string;
  signature?: string;
  json: string;
}

class GeminiStreamEncoder implements StreamEncoder {
  /** The end of every chunk's JSON, from modelVersion on: changes only with the response id. */
  private tail = "";
  private held?: Gemini.Part;
  /** A signature waiting for the next part to travel on. */
  private carried?: string;
  private readonly calls = new Map<number, OpenCall>();
  private usage?: Usage;
  private usageSerialised?: Usage;
  private usageText = "";
  private finish?: Finish;
  private written = 0;
  private closed = false;
  /** Thoughts are shown unless the client turned them off (Gemini clients ask with includeThoughts). */
  private readonly thoughts: boolean;

  constructor(
    private readonly ctx: CodecContext,
    req: IRRequest,
    private readonly jsonArray: boolean,
  ) {
    this.thoughts = req.reasoning?.include !== false;
    this.setResponseId("");
  }

  private setResponseId(id: string): void {
    const tail: Gemini.StreamChunk = { modelVersion: this.ctx.group, responseId: id };
    this.tail = "," + JSON.stringify(tail).slice(1);
  }

  push(ev: StreamEvent): string {
    if (this.closed) return "";
    switch (ev.type) {
      case "start":
        this.setResponseId(ev.id);
        return "";
      case "text":
        return ev.text ? this.hold({ text: ev.text }) : "";
      case "reasoning":
        return ev.text && this.thoughts ? this.hold({ text: ev.text, thought: true }) : "";
      case "reasoning_signature": {
        const sig = signatureToGemini(ev.signature);
        const last = this.held;
        if (last?.thought === true && last.thoughtSignature === undefined)
          last.thoughtSignature = sig;
        else this.carried = sig;
        return "";
      }
      case "redacted_reasoning":
        this.ctx.warnings.once(
          "dropped",
          "redacted_thinking",
          "Gemini has no opaque thinking blocks",
        );
        return "";
      case "tool_start":
        this.calls.set(ev.index, {
          id: ev.id,
          name: ev.name,
          signature: ev.signature && signatureToGemini(ev.signature),
          json: "",
        });
        // Text before a call goes out now rather than waiting for the whole call.
        return this.flush();
      case "tool_args": {
        const call = this.calls.get(ev.index);
        if (call) call.json += ev.fragment;
        return "";
      }
      case "tool_end": {
        const call = this.calls.get(ev.index);
        if (!call) return "";
        this.calls.delete(ev.index);
        return this.hold(this.callPart(call));
      }
      case "usage":
        this.usage = ev.usage;
        return "";
      case "finish":
        this.finish = ev.finish;
        return "";
      case "error":
        return this.error(ev.error);
    }
  }

  end(): string {
    if (this.closed) return "";
    this.closed = true;
    const parts = this.held ? [this.held] : [];
    for (const call of this.calls.values()) parts.push(this.callPart(call));
    if (this.carried) {
      const last = [...parts].reverse().find((p) => p.thoughtSignature === undefined);
      if (last) last.thoughtSignature = this.carried;
    }
    // Gemini reports STOP for turns that end in calls; the calls themselves say the rest.
    const reason = encodeFinish(this.finish ?? { reason: "other" });
    return this.frame(this.chunk(parts, reason)) + (this.jsonArray ? "]" : "");
  }

  private callPart(call: OpenCall): Gemini.Part {
    const part: Gemini.Part = {
      functionCall: { id: call.id, name: call.name, args: parseArgs(call.json, this.ctx) },
    };
    if (call.signature) part.thoughtSignature = call.signature;
    return part;
  }

  private hold(part: Gemini.Part): string {
    const out = this.flush();
    if (this.carried && part.thoughtSignature === undefined) {
      part.thoughtSignature = this.carried;
      this.carried = undefined;
    }
    this.held = part;
    return out;
  }

  flush(): string {
    if (!this.held) return "";
    const part = this.held;
    this.held = undefined;
    return this.frame(this.chunk([part]));
  }

  /**
   * A GenerateContentResponse as JSON, written out piece by piece: serialising the whole
   * object for every part would redo the envelope and the usage each time. The same bytes
   * as JSON.stringify of { candidates: [{ content?, finishReason?, index }], usageMetadata?,
   * modelVersion, responseId }, its keys checked against api.ts (see `key`).
   */
  private chunk(parts: Gemini.Part[], finishReason?: Gemini.FinishReason): string {
    const content = parts.length ? `${CONTENT}${MODEL_ROLE}${PARTS}[${partsJson(parts)}]},` : "";
    const reason = finishReason ? `${FINISH_REASON}${JSON.stringify(finishReason)},` : "";
    const usage = this.usage ? `,${USAGE}${this.usageJson(this.usage)}` : "";
    return `{${CANDIDATES}[{${content}${reason}${INDEX}0}]${usage}${this.tail}`;
  }

  /** Usage changes a few times per stream but goes out with every chunk: serialised once per change. */
  private usageJson(usage: Usage): string {
    if (usage !== this.usageSerialised) {
      this.usageSerialised = usage;
      this.usageText = JSON.stringify(encodeUsage(usage));
    }
    return this.usageText;
  }

  /** Google's framings: SSE with CRLF and no [DONE]; or `[` elem `\n,\r\n` elem … `\n]`. */
  private frame(json: string): string {
    if (!this.jsonArray) return sseData(json, true);
    return (this.written++ === 0 ? "[" : ",\r\n") + json + "\n";
  }

  /**
   * SSE: a `data:` frame holding the error object, as Google's server sends one mid-stream;
   * @google/genai checks every data frame for it (older versions only looked for a bare JSON
   * read, which network coalescing defeats). The caller flushes a held part first.
   * Array mode: the error is the last element.
   */
  private error(err: RouterError): string {
    this.closed = true;
    this.held = undefined;
    const json = JSON.stringify(errorBody(err));
    if (!this.jsonArray) return sseData(json, true);
    return (this.written++ === 0 ? "[" : ",\r\n") + json + "\n]";
  }
}

/** `"name":` for a field of wire type T: hand-written JSON, but a misspelled key does not compile. */
const key = <T>(name: keyof T & string): string => `"${name}":`;
const CANDIDATES = key<Gemini.StreamChunk>("candidates");
const USAGE = key<Gemini.StreamChunk>("usageMetadata");
const CONTENT = key<Gemini.Candidate>("content");
const FINISH_REASON = key<Gemini.Candidate>("finishReason");
const INDEX = key<Gemini.Candidate>("index");
const MODEL_ROLE = `{${key<Gemini.Content>("role")}"model",`;
const PARTS = key<Gemini.Content>("parts");
const TEXT = key<Gemini.Part>("text");
const THOUGHT = key<Gemini.Part>("thought");
const THOUGHT_SIGNATURE = key<Gemini.Part>("thoughtSignature");

function partsJson(parts: Gemini.Part[]): string {
  let json = partJson(parts[0]!);
  for (let i = 1; i < parts.length; i++) json += "," + partJson(parts[i]!);
  return json;
}

/**
 * A part as JSON.stringify writes it. Text parts, nearly every chunk, are written by hand: their
 * keys are only ever added in this order (text, thought, thoughtSignature).
 */
function partJson(part: Gemini.Part): string {
  if (part.functionCall !== undefined || typeof part.text !== "string") return JSON.stringify(part);
  let json = `{${TEXT}${jsonString(part.text)}`;
  if (part.thought === true) json += `,${THOUGHT}true`;
  if (typeof part.thoughtSignature === "string")
    json += `,${THOUGHT_SIGNATURE}${jsonString(part.thoughtSignature)}`;
  return json + "}";
}

function parseArgs(json: string, ctx: CodecContext): Record<string, unknown> {
  if (json.trim() === "") return {};
  try {
    const v: unknown = JSON.parse(json);
    if (isObject(v)) return v;
  } catch {
    // Reported below.
  }
  ctx.warnings.once(
    "dropped",
    "tool_call.arguments",
    "arguments were not a JSON object (truncated?)",
  );
  return {};
}
