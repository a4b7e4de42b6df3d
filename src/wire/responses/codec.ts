import type { Codec } from "../codec";
import type { NameRule } from "../names";
import { decodeError } from "./error-decode";
import { decodeRequest } from "./request-decode";
import { encodeRequest } from "./request-encode";
import { decodeResponse } from "./response-decode";
import { encodeResponse } from "./response-encode";
import { createStreamDecoder } from "./stream-decode";
import { createStreamEncoder } from "./stream-encode";

/** Function names as the Responses API validates them (as Chat Completions does). */
const toolNameRule: NameRule = { allowed: /[a-zA-Z0-9_-]/, max: 64 };

/** call_ids: any printable text; OpenAI's own are `call_` + 24 characters. */
const toolIdRule: NameRule = { allowed: /[\x20-\x7e]/, max: 64 };

/** The OpenAI Responses API, in both roles: as the client's format and as an upstream's. */
export const responsesCodec: Codec = {
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
