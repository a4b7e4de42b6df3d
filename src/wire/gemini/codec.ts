import type { Codec } from "../codec";
import type { NameRule } from "../names";
import { decodeError } from "./error-decode";
import { decodeRequest } from "./request-decode";
import { encodeRequest } from "./request-encode";
import { decodeResponse } from "./response-decode";
import { encodeResponse } from "./response-encode";
import { createStreamDecoder } from "./stream-decode";
import { createStreamEncoder } from "./stream-encode";

/** Function names: a letter or underscore first, then letters, digits, `_ . : -`, at most 64. */
const toolNameRule: NameRule = { allowed: /[a-zA-Z0-9_.:-]/, first: /[a-zA-Z_]/, max: 64 };
/** Call ids are free-form on Gemini; only control characters and spaces are kept out. */
const toolIdRule: NameRule = { allowed: /[\x21-\x7e]/, max: 256 };

export const geminiCodec: Codec = {
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
