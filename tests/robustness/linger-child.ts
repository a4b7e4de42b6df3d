import { startHarness, TOKEN } from "../e2e/harness";

/**
 * Child process for leaks.test.ts: starts the harness, sends one request of the kind named by
 * argv[2], stops everything and prints its status. It must then exit by itself: anything the
 * request left behind (an armed timer, an open handle) keeps it alive.
 */
const kind = process.argv[2] ?? "plain";
const depth = 50_000;
const deep = "[".repeat(depth) + "]".repeat(depth);
const deepSchema = '{"type":"array","items":'.repeat(depth) + "{}" + "}".repeat(depth);
const BODIES: Record<string, string> = {
  plain: `{"model":"openai","messages":[{"role":"user","content":"hi"}]}`,
  "deep passthrough": `{"model":"openai","messages":[{"role":"user","content":"hi"}],"x":${deep}}`,
  "deep passthrough stream": `{"model":"openai","stream":true,"messages":[{"role":"user","content":"hi"}],"x":${deep}}`,
  "deep conversion": `{"model":"anthropic","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":${deepSchema}}}}}]}`,
  "deep conversion to responses": `{"model":"responses","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":${deepSchema}}}}}]}`,
  "deep responses passthrough": `{"model":"responses","input":"hi","x":${deep}}`,
  "deep responses conversion": `{"model":"anthropic","input":"hi","tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"a":${deepSchema}}}}]}`,
};
// The Responses client's kinds; the others are Chat Completions requests.
const path = kind.startsWith("deep responses ") ? "/v1/responses" : "/v1/chat/completions";
const h = await startHarness();
const res = await fetch(h.base + path, {
  method: "POST",
  headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
  body: BODIES[kind],
});
await res.text();
await h.stop();
console.log(`status ${res.status}`);
