import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_TIMEOUTS, type ModelConfig } from "../../../src/config/types";
import { Warnings, type StreamEvent } from "../../../src/ir";
import type { EncodeRequestContext, StreamFrame } from "../../../src/wire/codec";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { NameMap } from "../../../src/wire/names";
import { sseFrameStream } from "../../../src/wire/sse/frames";
import { SignatureState, validateGenerate } from "../../mocks/gemini/validate";
import { seeded } from "../../helpers";

const FIXTURES = join(import.meta.dir, "../../fixtures");

export const fixture = (path: string): string => readFileSync(join(FIXTURES, path), "utf8");
export const fixtureJson = (path: string): any => JSON.parse(fixture(path));

function target(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: "gem",
    apiType: "gemini",
    model: "gemini-2.5-flash",
    apiBase: "https://example.invalid/v1beta",
    apiKey: "",
    rewriteHeader: {},
    timeouts: DEFAULT_TIMEOUTS,
    ...over,
  };
}

/** The context a glue would build with Gemini as the target (names fitted to Gemini's rules). */
export function ctx(over: Partial<ModelConfig> = {}): EncodeRequestContext {
  return {
    group: "my-group",
    warnings: new Warnings(),
    toolNames: new NameMap(geminiCodec.toolNameRule),
    toolIds: new NameMap(geminiCodec.toolIdRule),
    clientTools: new Map(),
    random: seeded(),
    target: target(over),
  };
}

/** SSE text → frames, through the same framing layer the router uses. */
export async function sseFrames(text: string | string[]): Promise<StreamFrame[]> {
  const chunks = Array.isArray(text) ? text : [text];
  const src = new ReadableStream<string>({
    start(c) {
      chunks.forEach((x) => c.enqueue(x));
      c.close();
    },
  });
  return Array.fromAsync(src.pipeThrough(sseFrameStream()));
}

/** A complete streamed JSON array → one frame per element (what the glue's array splitter yields). */
export const arrayFrames = (text: string): StreamFrame[] =>
  (JSON.parse(text) as unknown[]).map((e) => ({ data: JSON.stringify(e) }));

export function decodeFrames(frames: StreamFrame[], c = ctx()): StreamEvent[] {
  const d = geminiCodec.createStreamDecoder(c);
  return [...frames.flatMap((f) => d.push(f)), ...d.end()];
}

/** Runs the strict mock upstream's request validator; throws with Gemini's own message when invalid. */
export function assertGeminiAccepts(body: unknown, signatures: string[] = []): void {
  const sigs: SignatureState = { issued: new Set(signatures), signedCalls: new Set() };
  validateGenerate(body, "GenerateContentRequest", "", sigs);
}
