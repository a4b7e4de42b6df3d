import { anthropic } from "./anthropic";
import type { Format } from "./format";
import { gemini } from "./gemini";
import { openai } from "./openai";
import { responses } from "./responses";

/**
 * The wire formats the router speaks, as clients' formats and as upstreams' `api_type`. A new
 * format is one folder exporting one `Format` object, and one line here.
 */
export const FORMATS = { openai, anthropic, gemini, responses } satisfies Record<string, Format>;

export type FormatId = keyof typeof FORMATS;

export const FORMAT_IDS = Object.keys(FORMATS) as FormatId[];

/**
 * The format assumed when nothing tells (a model without `api_type`, a request on a path no
 * format claims, from a client no format recognises): the one most clients and servers speak.
 */
export const FALLBACK_FORMAT: FormatId = "openai";

export function isFormatId(v: unknown): v is FormatId {
  return typeof v === "string" && Object.hasOwn(FORMATS, v);
}

/** The format of a request on a path several formats share, or nobody serves. */
export function recogniseFormat(path: string, headers: Headers): Format {
  const all = FORMAT_IDS.map((id) => FORMATS[id]);
  const byPath = all.find((f) => f.clientMarks.pathPrefixes.some((p) => path.startsWith(p)));
  const byHeader = byPath ?? all.find((f) => f.clientMarks.headers.some((h) => headers.has(h)));
  return byHeader ?? FORMATS[FALLBACK_FORMAT];
}

/** Where any format's clients put their key: the router token is looked for in all of them. */
export const CLIENT_KEYS = {
  headers: [...new Set(FORMAT_IDS.flatMap((id) => FORMATS[id].clientKeys.headers))],
  query: [...new Set(FORMAT_IDS.flatMap((id) => FORMATS[id].clientKeys.query))],
};

/**
 * Response headers about the router's upstream accounts, whatever format answered: an
 * OpenAI-compatible server may send another's, and none of them is the client's business.
 */
export const ACCOUNT_HEADERS: readonly string[] = [
  ...new Set(FORMAT_IDS.flatMap((id) => FORMATS[id].accountHeaders)),
];

export type {
  CallRoute,
  ConversationStart,
  Format,
  InboundCall,
  ModelsRoute,
  Operation,
} from "./format";
export type { UpstreamModel } from "./codec";
export { codecContext } from "./context";
