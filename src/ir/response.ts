import type { AssistantPart } from "./content";

export type FinishReason =
  "stop" | "length" | "tool_calls" | "content_filter" | "refusal" | "pause" | "error" | "other";

export interface Finish {
  reason: FinishReason;
  /** The upstream's own value, kept so an unknown reason is never lost. */
  raw?: string;
  stopSequence?: string;
}

/**
 * Token counts with one meaning each (protocols.md §2.14): `input` excludes cache reads and
 * writes, `output` includes reasoning.
 */
export interface Usage {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning?: number;
}

export const emptyUsage = (): Usage => ({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0 });

export interface IRResponse {
  id: string;
  /** The name the client sees: the group. */
  model: string;
  parts: AssistantPart[];
  finish: Finish;
  usage: Usage;
}
