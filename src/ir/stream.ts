import type { RouterError } from "./error";
import type { Signature } from "./content";
import type { Finish, Usage } from "./response";

/**
 * One step of a streamed answer. Decoders turn upstream frames into these; encoders turn them
 * into the client's frames. Tool calls are keyed by `index`, counting tool calls only (0, 1, …),
 * whatever the source counted; encoders derive their own indexes from it.
 */
export type StreamEvent =
  | { type: "start"; id: string; model: string }
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  /** Closes the current reasoning block with its signature. */
  | { type: "reasoning_signature"; signature: Signature }
  | { type: "redacted_reasoning"; data: string }
  | { type: "tool_start"; index: number; id: string; name: string; signature?: Signature }
  | { type: "tool_args"; index: number; fragment: string }
  | { type: "tool_end"; index: number }
  /** Cumulative so far: the last one wins. */
  | { type: "usage"; usage: Usage }
  | { type: "finish"; finish: Finish }
  /** The upstream failed after the stream started; the encoder writes the client's native in-stream error. */
  | { type: "error"; error: RouterError };
