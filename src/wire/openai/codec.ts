import type { Codec } from "../codec";
import type { NameRule } from "../names";
import { decodeError } from "./error-decode";
import { decodeRequest } from "./request-decode";
import { encodeRequest } from "./request-encode";
import { decodeResponse } from "./response-decode";
import { encodeResponse } from "./response-encode";
import { createStreamDecoder } from "./stream-decode";
import { createStreamEncoder } from "./stream-encode";

/** Function names as the Chat Completions API validates them. */
const toolNameRule: NameRule = { allowed: /[a-zA-Z0-9_-]/, max: 64 };

/** OpenAI accepts any printable id up to 40 characters (longer ones are rejected). */
const toolIdRule: NameRule = { allowed: /[\x20-\x7e]/, max: 40 };

/** OpenAI Chat Completions, in both roles: as the client's format and as an upstream's. */
export const openaiCodec: Codec = {
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder,
  createStreamEncoder,
  decodeError,
  toolNameRule,
  toolIdRule,
};
