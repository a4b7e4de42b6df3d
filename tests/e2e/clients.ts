import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI, type Content, type Part } from "@google/genai";
import OpenAI from "openai";
import type { MockKind } from "../mocks";
import { TOKEN } from "./harness";

/**
 * One driver per official SDK, each turning a scenario into that SDK's own calls and the answer
 * into one comparable outcome, so the conversion matrix can assert the same facts for every
 * client × upstream pair.
 */

export interface Outcome {
  text: string;
  reasoning: string;
  toolCalls: { id?: string; name: string; args: Record<string, unknown> }[];
  finish: "stop" | "tool_calls" | "length" | "other";
  usage: { input: number; output: number };
  model: string;
}

export interface Ask {
  group: string;
  stream: boolean;
  system?: string;
  text: string;
  imagePng?: string; // base64
  tool?: boolean;
  think?: boolean;
}

export interface Driver {
  /** The SDK; the Responses API has two (clients-responses.ts). */
  name: "openai" | "anthropic" | "gemini" | "openai-responses" | "ai-sdk-responses";
  /** The wire format it speaks, which is also the mock kind and group of that format. */
  format: MockKind;
  ask(a: Ask): Promise<{ outcome: Outcome; followUp: (result: string) => Promise<Outcome> }>;
}

export const WEATHER = {
  name: "get_weather",
  description: "Current weather for a city",
  schema: {
    type: "object",
    properties: { city: { type: "string", description: "City name" } },
    required: ["city"],
  },
};

// ---------------------------------------------------------------- OpenAI
export function openaiDriver(base: string): Driver {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: WEATHER.name,
        description: WEATHER.description,
        parameters: WEATHER.schema,
      },
    },
  ];

  async function run(
    a: Ask,
    messages: OpenAI.ChatCompletionMessageParam[],
  ): Promise<{ outcome: Outcome; message: OpenAI.ChatCompletionAssistantMessageParam }> {
    const params = {
      model: a.group,
      messages,
      ...(a.tool ? { tools } : {}),
      ...(a.think ? { reasoning_effort: "low" as const } : {}),
    };
    if (!a.stream) {
      const res = await client.chat.completions.create(params);
      const msg = res.choices[0]!.message as OpenAI.ChatCompletionMessage & {
        reasoning_content?: string;
      };
      const calls = (msg.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
      return {
        outcome: {
          text: msg.content ?? "",
          reasoning: msg.reasoning_content ?? "",
          toolCalls: calls.map((c) => ({
            id: c.id,
            name: c.function.name,
            args: JSON.parse(c.function.arguments),
          })),
          finish: finishOf(res.choices[0]!.finish_reason),
          usage: {
            input: res.usage?.prompt_tokens ?? -1,
            output: res.usage?.completion_tokens ?? -1,
          },
          model: res.model,
        },
        message: {
          role: "assistant",
          content: msg.content,
          ...(calls.length ? { tool_calls: calls } : {}),
        },
      };
    }
    const stream = await client.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let reasoning = "";
    let finish: string | null = null;
    let usage = { input: -1, output: -1 };
    const models = new Set<string>();
    const slots: { id: string; name: string; args: string }[] = [];
    for await (const chunk of stream) {
      models.add(chunk.model);
      const delta = chunk.choices[0]?.delta as
        (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
      text += delta?.content ?? "";
      reasoning += delta?.reasoning_content ?? "";
      for (const tc of delta?.tool_calls ?? []) {
        const slot = (slots[tc.index] ??= { id: "", name: "", args: "" });
        slot.id ||= tc.id ?? "";
        slot.name += tc.function?.name ?? "";
        slot.args += tc.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage)
        usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
    }
    if (models.size !== 1) throw new Error(`chunks named several models: ${[...models]}`);
    const calls = slots.map((s) => ({
      id: s.id,
      type: "function" as const,
      function: { name: s.name, arguments: s.args },
    }));
    return {
      outcome: {
        text,
        reasoning,
        toolCalls: slots.map((s) => ({ id: s.id, name: s.name, args: JSON.parse(s.args) })),
        finish: finishOf(finish),
        usage,
        model: [...models][0]!,
      },
      message: {
        role: "assistant",
        content: text || null,
        ...(calls.length ? { tool_calls: calls } : {}),
      },
    };
  }

  return {
    name: "openai",
    format: "openai",
    async ask(a) {
      const content: OpenAI.ChatCompletionContentPart[] = [{ type: "text", text: a.text }];
      if (a.imagePng)
        content.push({
          type: "image_url",
          image_url: { url: `data:image/png;base64,${a.imagePng}` },
        });
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        ...(a.system ? [{ role: "system" as const, content: a.system }] : []),
        { role: "user", content },
      ];
      const first = await run(a, messages);
      return {
        outcome: first.outcome,
        followUp: async (result) => {
          const results = first.outcome.toolCalls.map((c) => ({
            role: "tool" as const,
            tool_call_id: c.id!,
            content: result,
          }));
          return (await run(a, [...messages, first.message, ...results])).outcome;
        },
      };
    },
  };
}

// ---------------------------------------------------------------- Anthropic
export function anthropicDriver(base: string): Driver {
  const client = new Anthropic({ baseURL: base, apiKey: TOKEN, maxRetries: 0 });
  const tools: Anthropic.Tool[] = [
    {
      name: WEATHER.name,
      description: WEATHER.description,
      input_schema: WEATHER.schema as Anthropic.Tool.InputSchema,
    },
  ];

  async function run(
    a: Ask,
    messages: Anthropic.MessageParam[],
  ): Promise<{ outcome: Outcome; content: Anthropic.ContentBlock[] }> {
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: a.group,
      max_tokens: 2048,
      messages,
      ...(a.system ? { system: a.system } : {}),
      ...(a.tool ? { tools } : {}),
      ...(a.think ? { thinking: { type: "enabled", budget_tokens: 1024 } } : {}),
    };
    let msg: Anthropic.Message;
    if (a.stream) {
      const stream = client.messages.stream(params);
      let startModel = "";
      stream.on("streamEvent", (e) => {
        if (e.type === "message_start") startModel = e.message.model;
      });
      msg = await stream.finalMessage();
      if (startModel !== msg.model) throw new Error("message_start model differs");
    } else {
      msg = await client.messages.create(params);
    }
    const blocks = msg.content;
    return {
      outcome: {
        text: blocks.flatMap((b) => (b.type === "text" ? [b.text] : [])).join(""),
        reasoning: blocks.flatMap((b) => (b.type === "thinking" ? [b.thinking] : [])).join(""),
        toolCalls: blocks.flatMap((b) =>
          b.type === "tool_use"
            ? [{ id: b.id, name: b.name, args: b.input as Record<string, unknown> }]
            : [],
        ),
        finish:
          msg.stop_reason === "end_turn"
            ? "stop"
            : msg.stop_reason === "tool_use"
              ? "tool_calls"
              : msg.stop_reason === "max_tokens"
                ? "length"
                : "other",
        usage: {
          input: msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0),
          output: msg.usage.output_tokens,
        },
        model: msg.model,
      },
      content: blocks,
    };
  }

  return {
    name: "anthropic",
    format: "anthropic",
    async ask(a) {
      const content: Anthropic.ContentBlockParam[] = [{ type: "text", text: a.text }];
      if (a.imagePng)
        content.push({
          type: "image",
          source: { type: "base64", media_type: "image/png", data: a.imagePng },
        });
      const messages: Anthropic.MessageParam[] = [{ role: "user", content }];
      const first = await run(a, messages);
      return {
        outcome: first.outcome,
        followUp: async (result) => {
          const results: Anthropic.ToolResultBlockParam[] = first.outcome.toolCalls.map((c) => ({
            type: "tool_result",
            tool_use_id: c.id!,
            content: result,
          }));
          return (
            await run(a, [
              ...messages,
              { role: "assistant", content: first.content },
              { role: "user", content: results },
            ])
          ).outcome;
        },
      };
    },
  };
}

// ---------------------------------------------------------------- Gemini
export function geminiDriver(base: string): Driver {
  const client = new GoogleGenAI({ apiKey: TOKEN, httpOptions: { baseUrl: base } });

  async function run(
    a: Ask,
    contents: Content[],
  ): Promise<{ outcome: Outcome; modelTurn: Content }> {
    const config = {
      ...(a.system ? { systemInstruction: a.system } : {}),
      ...(a.tool
        ? {
            tools: [
              {
                functionDeclarations: [
                  {
                    name: WEATHER.name,
                    description: WEATHER.description,
                    parametersJsonSchema: WEATHER.schema,
                  },
                ],
              },
            ],
          }
        : {}),
      ...(a.think ? { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } : {}),
    };
    const responses = a.stream
      ? await Array.fromAsync(
          await client.models.generateContentStream({ model: a.group, contents, config }),
        )
      : [await client.models.generateContent({ model: a.group, contents, config })];
    const parts: Part[] = responses.flatMap((r) => r.candidates?.[0]?.content?.parts ?? []);
    const last = responses.at(-1)!;
    const finishRaw = responses
      .map((r) => r.candidates?.[0]?.finishReason)
      .filter(Boolean)
      .at(-1);
    const calls = parts
      .filter((p) => p.functionCall)
      .map((p) => ({
        id: p.functionCall!.id,
        name: p.functionCall!.name!,
        args: (p.functionCall!.args ?? {}) as Record<string, unknown>,
      }));
    const versions = new Set(responses.map((r) => r.modelVersion));
    if (versions.size !== 1) throw new Error(`chunks named several models: ${[...versions]}`);
    return {
      outcome: {
        text: parts
          .filter((p) => p.text && !p.thought)
          .map((p) => p.text)
          .join(""),
        reasoning: parts
          .filter((p) => p.text && p.thought)
          .map((p) => p.text)
          .join(""),
        toolCalls: calls,
        finish:
          finishRaw === "STOP"
            ? calls.length
              ? "tool_calls"
              : "stop"
            : finishRaw === "MAX_TOKENS"
              ? "length"
              : "other",
        usage: {
          input: last.usageMetadata?.promptTokenCount ?? -1,
          output:
            (last.usageMetadata?.candidatesTokenCount ?? 0) +
            (last.usageMetadata?.thoughtsTokenCount ?? 0),
        },
        model: [...versions][0] ?? "",
      },
      // A streamed answer is one model turn: its parts are merged as the API expects them back.
      modelTurn: { role: "model", parts },
    };
  }

  return {
    name: "gemini",
    format: "gemini",
    async ask(a) {
      const parts: Part[] = [{ text: a.text }];
      if (a.imagePng) parts.push({ inlineData: { mimeType: "image/png", data: a.imagePng } });
      const contents: Content[] = [{ role: "user", parts }];
      const first = await run(a, contents);
      return {
        outcome: first.outcome,
        followUp: async (result) => {
          const responses: Part[] = first.outcome.toolCalls.map((c) => ({
            functionResponse: {
              ...(c.id ? { id: c.id } : {}),
              name: c.name,
              response: { output: result },
            },
          }));
          return (await run(a, [...contents, first.modelTurn, { role: "user", parts: responses }]))
            .outcome;
        },
      };
    },
  };
}

function finishOf(reason: string | null): Outcome["finish"] {
  return reason === "stop"
    ? "stop"
    : reason === "tool_calls"
      ? "tool_calls"
      : reason === "length"
        ? "length"
        : "other";
}
