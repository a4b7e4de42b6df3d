import type { IRRequest } from "../../ir/request";
import { emptyUsage, type Finish, type Usage } from "../../ir/response";
import type { StreamEvent } from "../../ir/stream";
import type { CodecContext, StreamEncoder } from "../codec";
import { jsonString, sseData } from "../sse/frames";
import type {
  ChatCompletionChunk,
  ChatFinishReason,
  ChunkDelta,
  ThinkingBlock,
  ToolCallDelta,
} from "./api";
import { encodeSignature, encodeToolSignature } from "./carriers";
import { errorBody } from "./error";
import { encodeFinish } from "./finish";
import { encodeResponseId } from "./response-encode";
import { encodeUsage } from "./usage";

/** A chunk without its choices: the part every chunk of one stream repeats. */
type ChunkEnvelope = Omit<ChatCompletionChunk, "choices" | "usage">;

const AFTER_DELTA = `,"logprobs":null,"finish_reason":`;

/** A tool call as this client sees it: its own 0-based position, and whether any argument text went out. */
interface OpenCall {
  wire: number;
  gotArgs: boolean;
}

/**
 * IR events → `chat.completion.chunk` frames exactly as api.openai.com sends them
 * (protocols.md §3.3): role chunk first, one finish chunk, the usage chunk only when the client
 * asked for it, then `[DONE]`. An error ends the stream without `[DONE]`, which the SDKs raise.
 */
export function createStreamEncoder(ctx: CodecContext, req: IRRequest): StreamEncoder {
  return new ChunkEncoder(ctx, req.streamUsage === true);
}

class ChunkEncoder implements StreamEncoder {
  private id = "";
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private closed = false;
  private finished = false;
  private readonly calls = new Map<number, OpenCall>();
  private usage: Usage = emptyUsage();
  /** Reasoning text of the current block, so a signature can be handed out with the block it signs. */
  private thought = "";
  /**
   * Every chunk's JSON up to its delta: fixed once the id is known, so each chunk only
   * serialises its delta instead of the whole envelope again.
   */
  private head = "";

  constructor(
    private readonly ctx: CodecContext,
    private readonly includeUsage: boolean,
  ) {}

  push(ev: StreamEvent): string {
    if (this.closed) return "";
    if (ev.type === "error") {
      this.closed = true;
      return sseData(JSON.stringify(errorBody(ev.error)));
    }
    const head = ev.type === "start" ? "" : this.start(undefined);
    switch (ev.type) {
      case "start":
        return this.start(ev.id);
      case "text":
        this.thought = "";
        return head + (ev.text ? this.chunkJson(`{"content":${jsonString(ev.text)}}`) : "");
      case "reasoning":
        this.thought += ev.text;
        return (
          head + (ev.text ? this.chunkJson(`{"reasoning_content":${jsonString(ev.text)}}`) : "")
        );
      case "reasoning_signature": {
        // LiteLLM's convention: the whole block with its signature, ready to be echoed back.
        const block: ThinkingBlock = {
          type: "thinking",
          thinking: this.thought,
          signature: encodeSignature(ev.signature),
        };
        this.thought = "";
        return head + this.chunk({ thinking_blocks: [block] });
      }
      case "redacted_reasoning":
        this.thought = "";
        return (
          head + this.chunk({ thinking_blocks: [{ type: "redacted_thinking", data: ev.data }] })
        );
      case "tool_start": {
        this.thought = "";
        const call: OpenCall = { wire: this.calls.size, gotArgs: false };
        this.calls.set(ev.index, call);
        const delta: ToolCallDelta = {
          index: call.wire,
          id: ev.id,
          type: "function",
          function: { name: ev.name, arguments: "" },
          ...encodeToolSignature(ev.signature),
        };
        return head + this.chunk({ tool_calls: [delta] });
      }
      case "tool_args": {
        const call = this.calls.get(ev.index);
        if (!call || ev.fragment === "") return head;
        call.gotArgs = true;
        return head + this.argsChunk(call, ev.fragment);
      }
      case "tool_end":
        return head + this.closeCall(this.calls.get(ev.index));
      case "usage":
        this.usage = ev.usage;
        return head;
      case "finish":
        return head + this.finish(ev.finish);
    }
  }

  end(): string {
    if (this.closed) return "";
    this.closed = true;
    let out = this.start(undefined);
    if (!this.finished) out += this.finish({ reason: "stop" });
    if (this.includeUsage) out += this.usageChunk();
    return out + "data: [DONE]\n\n";
  }

  /** The last chunk for a client that asked for usage: no choices, the whole stream's usage. */
  private usageChunk(): string {
    const chunk: ChatCompletionChunk = {
      ...this.envelope(),
      choices: [],
      usage: encodeUsage(this.usage),
    };
    return sseData(JSON.stringify(chunk));
  }

  private start(upstreamId: string | undefined): string {
    if (this.started) return "";
    this.started = true;
    this.id = encodeResponseId(upstreamId ?? "", this.ctx);
    // The same bytes JSON.stringify gives for the envelope, in the same key order.
    const envelope = JSON.stringify(this.envelope());
    this.head = `${envelope.slice(0, -1)},"choices":[{"index":0,"delta":`;
    return this.chunk({ role: "assistant", content: "" });
  }

  private finish(finish: Finish): string {
    if (this.finished) return "";
    this.finished = true;
    let out = "";
    for (const call of this.calls.values()) out += this.closeCall(call);
    return out + this.chunk({}, encodeFinish(finish, this.calls.size > 0));
  }

  /** A no-argument call must still end with parseable arguments: "{}", never "". */
  private closeCall(call: OpenCall | undefined): string {
    if (!call || call.gotArgs) return "";
    call.gotArgs = true;
    return this.argsChunk(call, "{}");
  }

  private argsChunk(call: OpenCall, fragment: string): string {
    return this.chunk({ tool_calls: [{ index: call.wire, function: { arguments: fragment } }] });
  }

  private envelope(): ChunkEnvelope {
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.ctx.group,
    };
  }

  private chunk(delta: ChunkDelta, finishReason: ChatFinishReason | null = null): string {
    return this.chunkJson(JSON.stringify(delta), finishReason);
  }

  private chunkJson(delta: string, finishReason: ChatFinishReason | null = null): string {
    // OpenAI sends `usage: null` on every chunk only to clients that asked for usage.
    const usage = this.includeUsage ? `,"usage":null}` : "}";
    return sseData(
      `${this.head}${delta}${AFTER_DELTA}${finishReason === null ? "null" : JSON.stringify(finishReason)}}]${usage}`,
    );
  }
}
