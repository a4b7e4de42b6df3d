import type { ApiType } from "../config/types";
import { anthropicCodec } from "../wire/anthropic/codec";
import type { Codec } from "../wire/codec";
import { geminiCodec } from "../wire/gemini/codec";
import { openaiCodec } from "../wire/openai/codec";

export const CODECS: Record<ApiType, Codec> = {
  openai: openaiCodec,
  anthropic: anthropicCodec,
  gemini: geminiCodec,
};
