import { createOpenAI } from "@ai-sdk/openai";
import {
  generateText,
  jsonSchema,
  streamText,
  tool,
  type FinishReason,
  type ModelMessage,
  type ToolSet,
  type UserContent,
} from "ai";
import OpenAI from "openai";
import type {
  Response as ResponseObject,
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";
import type { MockKind } from "../mocks";
import {
  anthropicDriver,
  geminiDriver,
  openaiDriver,
  WEATHER,
  type Ask,
  type Driver,
  type Outcome,
} from "./clients";
import { TOKEN } from "./harness";

/**
 * The two Responses API clients of the matrix: the official `openai` SDK (`responses.create`,
 * streamed and not, and the stream helper's `finalResponse()` for streamed follow-ups) and the
 * AI SDK's `@ai-sdk/openai` Responses model (`generateText` / `streamText`), which is what
 * opencode speaks. Both replay history statelessly (`store: false`), as a router needs.
 */

const textOf = (output: ResponseObject["output"]) =>
  output
    .flatMap((o) => (o.type === "message" ? o.content : []))
    .map((c) => (c.type === "output_text" ? c.text : ""))
    .join("");

/** One Response object as the matrix compares answers. */
function outcomeOf(res: ResponseObject): Outcome {
  const calls = res.output.flatMap((o) =>
    o.type === "function_call"
      ? [{ id: o.call_id, name: o.name, args: JSON.parse(o.arguments) }]
      : o.type === "custom_tool_call"
        ? [{ id: o.call_id, name: o.name, args: { input: o.input } }]
        : [],
  );
  const usage = res.usage!;
  if (usage.total_tokens !== usage.input_tokens + usage.output_tokens)
    throw new Error(`total_tokens ${usage.total_tokens} is not input + output`);
  return {
    // Not `output_text`: the SDK adds that convenience to create()'s answers, not to stream events.
    text: textOf(res.output),
    reasoning: res.output
      .flatMap((o) => (o.type === "reasoning" ? o.summary.map((s) => s.text) : []))
      .join(""),
    toolCalls: calls,
    finish:
      res.status === "completed"
        ? calls.length
          ? "tool_calls"
          : "stop"
        : res.incomplete_details?.reason === "max_output_tokens"
          ? "length"
          : "other",
    usage: { input: usage.input_tokens, output: usage.output_tokens },
    model: res.model,
  };
}

/**
 * Reads a raw event stream to its end event, checking what every Responses client relies on:
 * increasing sequence numbers, one model name throughout, deltas that add up to the final
 * items, and exactly one terminal event carrying the whole response.
 */
async function finalOf(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseObject> {
  let seq = -1;
  let text = "";
  let summary = "";
  let final: ResponseObject | undefined;
  const models = new Set<string>();
  for await (const e of stream) {
    if (final) throw new Error(`${e.type} after the terminal event`);
    if (e.sequence_number <= seq) throw new Error(`sequence ${e.sequence_number} after ${seq}`);
    seq = e.sequence_number;
    if ("response" in e) models.add(e.response.model);
    if (e.type === "response.output_text.delta") text += e.delta;
    if (e.type === "response.reasoning_summary_text.delta") summary += e.delta;
    if (
      e.type === "response.completed" ||
      e.type === "response.incomplete" ||
      e.type === "response.failed"
    )
      final = e.response;
  }
  if (!final) throw new Error("the stream ended without response.completed");
  if (models.size !== 1) throw new Error(`events named several models: ${[...models]}`);
  const out = outcomeOf(final);
  if (out.text !== text || out.reasoning !== summary)
    throw new Error(`deltas ${JSON.stringify([text, summary])} differ from the final response`);
  return final;
}

/** The items of an answer as the next request replays them (no output-only fields). */
function replayOf(res: ResponseObject): ResponseInputItem[] {
  return res.output.flatMap((o): ResponseInputItem[] => {
    if (o.type === "function_call")
      return [{ type: "function_call", call_id: o.call_id, name: o.name, arguments: o.arguments }];
    if (o.type === "message") return [{ role: "assistant", content: textOf([o]) }];
    if (o.type === "reasoning")
      return [
        { type: "reasoning", id: o.id, summary: o.summary, encrypted_content: o.encrypted_content },
      ];
    return [];
  });
}

// ---------------------------------------------------------------- openai SDK, Responses API
function responsesDriver(base: string): Driver {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  const tools: OpenAI.Responses.FunctionTool[] = [
    {
      type: "function",
      name: WEATHER.name,
      description: WEATHER.description,
      parameters: WEATHER.schema,
      strict: false,
    },
  ];

  async function run(a: Ask, input: ResponseInputItem[], helper: boolean): Promise<ResponseObject> {
    const params: Omit<ResponseCreateParamsNonStreaming, "stream"> = {
      model: a.group,
      input,
      store: false,
      ...(a.system ? { instructions: a.system } : {}),
      ...(a.tool ? { tools } : {}),
      ...(a.think
        ? {
            reasoning: { effort: "low", summary: "auto" },
            include: ["reasoning.encrypted_content"],
          }
        : {}),
    };
    if (!a.stream) return client.responses.create(params);
    if (helper) return client.responses.stream({ ...params, stream: true }).finalResponse();
    return finalOf(await client.responses.create({ ...params, stream: true }));
  }

  return {
    name: "openai-responses",
    format: "responses",
    async ask(a) {
      const content: OpenAI.Responses.ResponseInputContent[] = [
        { type: "input_text", text: a.text },
      ];
      if (a.imagePng)
        content.push({
          type: "input_image",
          image_url: `data:image/png;base64,${a.imagePng}`,
          detail: "auto",
        });
      const input: ResponseInputItem[] = [{ role: "user", content }];
      const first = await run(a, input, false);
      const outcome = outcomeOf(first);
      return {
        outcome,
        followUp: async (result) => {
          const outputs = outcome.toolCalls.map((c): ResponseInputItem => ({
            type: "function_call_output",
            call_id: c.id!,
            output: result,
          }));
          // Streamed follow-ups go through the SDK's stream helper, which rebuilds the response
          // from the events and throws on any event out of place.
          return outcomeOf(await run(a, [...input, ...replayOf(first), ...outputs], true));
        },
      };
    },
  };
}

// ---------------------------------------------------------------- AI SDK, Responses model
const FINISH: Partial<Record<FinishReason, Outcome["finish"]>> = {
  stop: "stop",
  "tool-calls": "tool_calls",
  length: "length",
};

function aiSdkDriver(base: string): Driver {
  const provider = createOpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN });
  // No `execute`: the call comes back to the caller, who answers it in the follow-up.
  const tools: ToolSet = {
    [WEATHER.name]: tool({
      description: WEATHER.description,
      inputSchema: jsonSchema(WEATHER.schema as Parameters<typeof jsonSchema>[0]),
    }),
  };

  async function run(
    a: Ask,
    messages: ModelMessage[],
  ): Promise<{ outcome: Outcome; messages: ModelMessage[] }> {
    const options = {
      model: provider.responses(a.group),
      // The AI SDK sends its system prompt as a system (or developer) message, not `instructions`.
      ...(a.system ? { system: a.system } : {}),
      messages,
      maxRetries: 0,
      ...(a.tool ? { tools } : {}),
      providerOptions: {
        openai: {
          store: false,
          // The group's name is no model id the SDK knows to reason: it is told.
          ...(a.think
            ? { forceReasoning: true, reasoningEffort: "low", reasoningSummary: "auto" }
            : {}),
        },
      },
    };
    const result = a.stream
      ? await drained(streamText({ ...options, onError: () => {} }))
      : await generateText(options);
    return {
      outcome: {
        text: result.text,
        reasoning: result.reasoningText ?? "",
        toolCalls: result.toolCalls.map((c) => ({
          id: c.toolCallId,
          name: c.toolName,
          args: c.input as Record<string, unknown>,
        })),
        finish: FINISH[result.finishReason] ?? "other",
        usage: { input: result.usage.inputTokens ?? -1, output: result.usage.outputTokens ?? -1 },
        model: result.response.modelId,
      },
      messages: result.response.messages,
    };
  }

  return {
    name: "ai-sdk-responses",
    format: "responses",
    async ask(a) {
      const content: UserContent = [{ type: "text", text: a.text }];
      if (a.imagePng) content.push({ type: "image", image: a.imagePng, mediaType: "image/png" });
      const messages: ModelMessage[] = [{ role: "user", content }];
      const first = await run(a, messages);
      return {
        outcome: first.outcome,
        followUp: async (result) => {
          const results: ModelMessage = {
            role: "tool",
            content: first.outcome.toolCalls.map((c) => ({
              type: "tool-result",
              toolCallId: c.id!,
              toolName: c.name,
              output: { type: "text", value: result },
            })),
          };
          return (await run(a, [...messages, ...first.messages, results])).outcome;
        },
      };
    },
  };
}

/** A streamText result once its stream has ended; an error part in the stream is thrown. */
async function drained(s: ReturnType<typeof streamText>) {
  for await (const part of s.fullStream) if (part.type === "error") throw part.error;
  return {
    text: await s.text,
    reasoningText: await s.reasoningText,
    toolCalls: await s.toolCalls,
    finishReason: await s.finishReason,
    usage: await s.usage,
    response: await s.response,
  };
}

/** Every driver, for the tests that loop over clients: name and format are known before any router runs. */
export const DRIVERS: { name: Driver["name"]; format: MockKind; make(base: string): Driver }[] = [
  { name: "openai", format: "openai", make: openaiDriver },
  { name: "anthropic", format: "anthropic", make: anthropicDriver },
  { name: "gemini", format: "gemini", make: geminiDriver },
  { name: "openai-responses", format: "responses", make: responsesDriver },
  { name: "ai-sdk-responses", format: "responses", make: aiSdkDriver },
];
