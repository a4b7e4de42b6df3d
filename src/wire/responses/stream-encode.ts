import { routerError, type RouterError } from "../../ir/error";
import type { IRRequest } from "../../ir/request";
import { emptyUsage, type Finish, type Usage } from "../../ir/response";
import type { StreamEvent } from "../../ir/stream";
import type { CodecContext, StreamEncoder, StreamEncoderOptions } from "../codec";
import { failureOf } from "./error";
import { encodeFinish, type ResponseEnd } from "./finish";
import { responseId } from "./ids";
import { responseObject, type ResponseHead } from "./output-items";
import { OutputItems } from "./stream-items-encode";
import { encodeUsage } from "./usage";

/**
 * IR stream events → the Responses event sequence the official SDKs accumulate and Codex reads:
 * response.created and response.in_progress; the output items (stream-items-encode.ts), whose
 * output_item.done is the only event Codex takes an item from; then exactly one of
 * response.completed, response.incomplete or response.failed, carrying the whole response with
 * its usage. Every event has `type` and a `sequence_number` counting from 0.
 */
export function createStreamEncoder(
  ctx: CodecContext,
  _req: IRRequest,
  opts: StreamEncoderOptions = {},
): StreamEncoder {
  return new EventEncoder(ctx, opts.heldLimit ?? Infinity);
}

class EventEncoder implements StreamEncoder {
  private readonly items: OutputItems;
  private upstreamId?: string;
  private head?: ResponseHead;
  /** An error or the terminal event went out: nothing may follow. */
  private closed = false;
  private usage: Usage = emptyUsage();
  private finish?: Finish;

  constructor(
    private readonly ctx: CodecContext,
    private readonly heldLimit: number,
  ) {
    this.items = new OutputItems(ctx);
  }

  push(ev: StreamEvent): string {
    if (this.closed) return "";
    const out = this.event(ev);
    if (this.closed || this.items.held <= this.heldLimit) return out;
    // Every item's done event and the terminal event repeat the answer: past the limit it is not
    // held, and the stream fails as a whole answer that large would.
    this.closed = true;
    const err = routerError(
      "bad_gateway",
      `the answer grew past max_response_size (${this.heldLimit} characters); a Responses stream repeats it whole at its end`,
    );
    return out + this.failed(err);
  }

  private event(ev: StreamEvent): string {
    const items = this.items;
    switch (ev.type) {
      case "start":
        // response.created waits for the first content: an error before it is then the
        // stream's first write, and another model can still be tried.
        this.upstreamId = ev.id;
        return "";
      case "usage":
        this.usage = ev.usage;
        return "";
      // Empty texts and dropped reasoning are no content: they do not begin the response.
      case "text":
        if (!ev.text) return "";
        return this.begin() + items.closeThought() + items.text(ev.text);
      case "reasoning":
        if (!ev.text) return "";
        return this.begin() + items.closeMessage() + items.reasoning(ev.text);
      case "reasoning_signature":
        return this.begin() + items.closeMessage() + items.closeThought(ev.signature);
      case "redacted_reasoning":
        this.ctx.warnings.once(
          "dropped",
          "redacted_reasoning",
          "Responses has no redacted reasoning",
        );
        return "";
      case "tool_start":
        return this.begin() + items.closeMessage() + items.closeThought() + items.openCall(ev);
      case "tool_args":
        return items.callArgs(ev.index, ev.fragment);
      case "tool_end":
        return items.closeCall(ev.index);
      case "finish":
        this.finish = ev.finish;
        return this.begin() + items.closeAll(this.messageStatus());
      case "error":
        this.closed = true;
        return this.begin() + this.failed(ev.error);
    }
  }

  /** The terminal event waits for the end: usage may still follow the finish. */
  end(): string {
    if (this.closed) return "";
    this.closed = true;
    // Without a finish, the upstream's decoder saw a whole answer all the same (a cut one is an error).
    const end = encodeFinish(this.finish ?? { reason: "stop" });
    return (
      this.begin() +
      this.items.closeAll(this.messageStatus()) +
      this.terminal(`response.${end.status}`, end)
    );
  }

  /** A message cut by the token limit is `incomplete`, as OpenAI marks it. */
  private messageStatus() {
    return this.finish?.reason === "length" ? "incomplete" : "completed";
  }

  private begin(): string {
    if (this.head) return "";
    this.head = {
      id: responseId(this.upstreamId, this.ctx),
      createdAt: Math.floor(Date.now() / 1000),
      model: this.ctx.group,
    };
    const running = { status: "in_progress", incomplete_details: null, error: null } as const;
    const response = responseObject(this.head, running, [], undefined);
    return (
      this.items.frameOf("response.created", { response }) +
      this.items.frameOf("response.in_progress", { response })
    );
  }

  private terminal(type: string, end: ResponseEnd): string {
    const output = this.items.finished();
    const response = responseObject(this.head!, end, output, encodeUsage(this.usage));
    return this.items.frameOf(type, { response });
  }

  /** Nothing more is closed after a failure: the items finished so far, and the error. */
  private failed(err: RouterError): string {
    const end: ResponseEnd = { status: "failed", incomplete_details: null, error: failureOf(err) };
    return this.terminal("response.failed", end);
  }
}
