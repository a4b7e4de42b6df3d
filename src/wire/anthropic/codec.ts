import type { Codec } from "../codec";
import { TOOL_ID_RULE } from "./tool-ids";
import { decodeError } from "./error-decode";
import { decodeRequest } from "./request-decode";
import { encodeRequest } from "./request-encode";
import { decodeResponse } from "./response-decode";
import { encodeResponse } from "./response-encode";
import { createStreamDecoder } from "./stream-decode";
import { createStreamEncoder } from "./stream-encode";

/** The Anthropic Messages format as client (decodeRequest, encode*) and as upstream (encodeRequest, decode*). */
export const anthropicCodec: Codec = {
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder,
  createStreamEncoder,
  decodeError,
  // Tool names: ^[a-zA-Z0-9_-]{1,128}$; tool_use ids: ^[a-zA-Z0-9_-]+$, kept to 64 so OpenAI-side limits never bite.
  toolNameRule: { allowed: /[a-zA-Z0-9_-]/, max: 128 },
  toolIdRule: TOOL_ID_RULE,
};
