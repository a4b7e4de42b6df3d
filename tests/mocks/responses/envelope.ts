// The Response object around the output items: every field api.openai.com returns, in its order
// (as in recorded api.openai.com streams), with the request's options echoed back and the
// service's defaults where the request left them out (openai-node SDK type `Response`).
import { randomId } from "../util.ts";

/** Tools as the API echoes them: function tools get their defaults filled in. */
const echoTool = (t: any) =>
  t.type === "function"
    ? {
        type: "function",
        description: t.description ?? null,
        name: t.name,
        parameters: t.parameters ?? null,
        strict: t.strict ?? true,
      }
    : t;

/**
 * One response's id and creation time, and a builder for each state it is sent in: `in_progress`
 * (created / in_progress events), then `completed`, `incomplete` or `failed`. `extra` sets the
 * fields that differ per state (usage, incomplete_details, error).
 */
export function envelope(body: any, model: string) {
  const id = randomId("resp_", 50);
  const created = Math.floor(Date.now() / 1000);
  const r = body.reasoning;
  return (status: string, output: unknown[], extra: Record<string, unknown>) => ({
    id,
    object: "response",
    created_at: created,
    status,
    background: body.background ?? false,
    completed_at: status === "completed" ? Math.floor(Date.now() / 1000) : null,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    prompt_cache_retention: body.prompt_cache_retention ?? null,
    reasoning: { effort: r?.effort ?? null, summary: r?.summary ?? null },
    safety_identifier: body.safety_identifier ?? null,
    // "auto" while it runs; the tier that served it once done.
    service_tier: status === "in_progress" ? (body.service_tier ?? "auto") : "default",
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: {
      format: body.text?.format ?? { type: "text" },
      verbosity: body.text?.verbosity ?? "medium",
    },
    tool_choice: body.tool_choice ?? "auto",
    tools: (body.tools ?? []).map(echoTool),
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
    ...extra,
  });
}
