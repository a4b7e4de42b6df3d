import { routerError, type RouterError, type StreamEvent } from "../ir";
import type { StreamDecoder, StreamEncoder } from "../wire/codec";
import { SseFramer } from "../wire/sse/frames";
import { LineCap, lineTooLarge } from "../wire/sse/line-cap";
import type { Phase } from "../wire/codec";
import type { Transcoder, Verdict } from "./pump";
import type { Writes } from "./writes";

/**
 * Upstream bytes → client text through the two stream codecs: each upstream read is framed,
 * decoded into neutral events and re-encoded at once, so nothing is buffered beyond one frame.
 *
 * The first error event makes the stream broken: before any output it is the attempt's failure
 * (the pump refuses the stream, so another model can be tried); after, it goes to the client in
 * its format, and the stream ends. A connection that breaks mid-stream ends like an early close:
 * the decoder sees an unfinished stream and says so with an error event.
 */
export class CodecTranscoder implements Transcoder {
  private readonly text = new TextDecoder();
  private readonly framer = new SseFramer();
  // Checked on the bytes, before the framer: it holds an unfinished line whole.
  private readonly lines = new LineCap();
  /** A line passed the cap: the stream ended there, with nothing of that line decoded. */
  private capped = false;
  /** The first error event seen in the stream. */
  private failure: RouterError | undefined;

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly encoder: StreamEncoder,
    /** The upstream's format, named in errors. */
    private readonly source: string,
  ) {}

  push(chunk: Uint8Array, out: Writes): void {
    if (this.lines.over(chunk)) {
      // Nothing of the line is decoded: its start may still be an error the codec would find.
      this.capped = true;
      this.encode([{ type: "error", error: lineTooLarge(this.source) }], out);
      return;
    }
    for (const f of this.framer.push(this.text.decode(chunk, { stream: true })))
      this.encode(this.decoder.push(f), out);
  }

  phase(): Phase {
    return this.capped ? "over" : (this.decoder.phase?.() ?? "open");
  }

  opening(): boolean {
    return false; // the framer holds an unfinished line: what is written is whole
  }

  end(_broken: boolean, out: Writes): Verdict {
    if (!this.capped) {
      // Nothing after the end event matters; before it, what the framer holds is the last frame.
      if (this.decoder.phase?.() !== "over") {
        for (const f of this.framer.push(this.text.decode()))
          this.encode(this.decoder.push(f), out);
        for (const f of this.framer.end()) this.encode(this.decoder.push(f), out);
      }
      this.encode(this.decoder.end(), out);
    }
    out.add(this.encoder.end());
    return this.failure ? "broken" : "done";
  }

  refusal(): RouterError {
    return (
      this.failure ??
      routerError("bad_gateway", "upstream closed its stream before sending anything")
    );
  }

  private encode(events: StreamEvent[], out: Writes): void {
    for (const e of events) {
      if (e.type === "error") {
        // What the encoder held back goes first: the error is written on its own.
        out.add(this.encoder.flush?.() ?? "");
        this.failure ??= e.error;
        out.error(this.encoder.push(e));
        continue;
      }
      out.add(this.encoder.push(e));
    }
  }
}
