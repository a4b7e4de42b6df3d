import type { ApiType } from "../config/types";
import { anthropic } from "./anthropic";
import { gemini } from "./gemini";
import { openai } from "./openai";
import type { WireFormat } from "./types";

export const WIRE: Record<ApiType, WireFormat> = { openai, anthropic, gemini };
export type { InboundCall, Operation, WireFormat } from "./types";
