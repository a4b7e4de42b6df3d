// Strict mock upstreams (OpenAI Chat Completions, Anthropic Messages, Gemini generateContent,
// OpenAI Responses) for the router's end-to-end tests.
export { startMock } from "./server.ts";
export type { Fault, MockKind, MockUpstream, RecordedRequest, Reply, Responder } from "./types.ts";
