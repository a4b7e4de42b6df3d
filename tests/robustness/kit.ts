import fc from "fast-check";
import type { ApiType } from "../../src/config/types";
import { TOKEN } from "../e2e/harness";

/**
 * Shared material for the bad-input tests: valid requests of each format that touch every field
 * the codecs read, a mutation engine that breaks them one field at a time, and checks of each
 * API's error envelope.
 */

export const FORMATS: readonly ApiType[] = ["openai", "anthropic", "gemini", "responses"];

/** A fixed seed keeps runs reproducible; FUZZ_SEED=<n> explores other corners. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20260601);

// ------------------------------------------------------------------ seed requests

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF =
  "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCnN0cmVhbQplbmRzdHJlYW0KZW5kb2JqCg==";
const WAV = "UklGRiQAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAZGF0YQAAAAA=";

/** Every field the OpenAI request decoder reads, in its main and its alternative spellings. */
function openaiSeeds(model: string): Record<string, unknown>[] {
  const full = {
    model,
    messages: [
      { role: "system", content: "be brief" },
      {
        role: "developer",
        content: [{ type: "text", text: "dev note", cache_control: { type: "ephemeral" } }],
      },
      {
        role: "user",
        content: [
          { type: "text", text: "hello" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}`, detail: "low" } },
          { type: "input_audio", input_audio: { data: WAV, format: "wav" } },
          {
            type: "file",
            file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${PDF}` },
          },
        ],
      },
      {
        role: "assistant",
        content: null,
        reasoning_content: "let me think",
        thinking_blocks: [
          { type: "thinking", thinking: "t", signature: "sig-1" },
          { type: "redacted_thinking", data: "opaque" },
        ],
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: "c2ln" } },
          },
          {
            id: "call_2",
            type: "function",
            function: { name: "get_time", arguments: '{"tz":"Europe/Par' },
          },
        ],
        refusal: null,
        extra_content: { google: { thought_signature: "c2ln" } },
        annotations: [],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "12:00" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "ok" },
          { type: "refusal", refusal: "no" },
        ],
        function_call: { name: "get_weather", arguments: { city: "Rome" } },
        audio: { id: "aud_1" },
      },
      { role: "function", name: "get_weather", content: "rainy" },
      { role: "user", content: "and now?", name: "bob" },
    ],
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "weather",
          parameters: {
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          },
          strict: true,
        },
        cache_control: { type: "ephemeral" },
      },
      {
        type: "function",
        function: {
          name: "get_time",
          parameters: { type: "object", properties: { tz: { type: "string" } } },
        },
      },
    ],
    functions: [
      {
        name: "legacy_fn",
        description: "old style",
        parameters: { type: "object", properties: {} },
      },
    ],
    tool_choice: { type: "function", function: { name: "get_weather" } },
    parallel_tool_calls: true,
    max_completion_tokens: 100,
    max_tokens: 100,
    temperature: 0.5,
    top_p: 0.9,
    top_k: 40,
    stop: ["END"],
    seed: 42,
    user: "user-1",
    n: 1,
    presence_penalty: 0.1,
    frequency_penalty: 0.1,
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "out",
        schema: { type: "object", properties: { a: { type: "string" } } },
        strict: true,
      },
    },
    reasoning_effort: "low",
    stream: false,
    stream_options: { include_usage: true },
    logit_bias: { "50256": -100 },
  };
  const alternatives = {
    model,
    messages: [
      {
        role: "user",
        content: [
          { type: "image_url", image_url: `data:;base64,${PNG}` },
          { type: "file", file: { file_id: "file-abc" } },
          { type: "text", text: "describe" },
        ],
      },
      {
        role: "assistant",
        content: "calling",
        function_call: { name: "legacy_fn", arguments: "{}" },
      },
      { role: "function", name: "legacy_fn", content: null },
      { role: "user", content: "thanks" },
    ],
    functions: [{ name: "legacy_fn", parameters: { type: "object", properties: {} } }],
    function_call: { name: "legacy_fn" },
    tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [] } },
    stop: "END",
    response_format: { type: "json_object" },
    reasoning_effort: "high",
  };
  const simple = {
    model,
    messages: [
      { role: "system", content: "be brief" },
      { role: "user", content: "hello there" },
    ],
    max_tokens: 50,
    temperature: 0.3,
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "weather",
          parameters: {
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          },
        },
      },
    ],
    tool_choice: "auto",
  };
  const toolRound = {
    model,
    messages: [
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ],
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      },
    ],
    stream: true,
    stream_options: { include_usage: true },
  };
  return [full, alternatives, simple, toolRound];
}

/** Every field the Anthropic request decoder reads. */
function anthropicSeeds(model: string, withRemoteUrls = true): Record<string, unknown>[] {
  const urlBlocks = withRemoteUrls
    ? [
        { type: "image", source: { type: "url", url: "https://example.invalid/a.png" } },
        { type: "document", source: { type: "url", url: "https://example.invalid/a.pdf" } },
      ]
    : [];
  const full = {
    model,
    max_tokens: 1024,
    system: [{ type: "text", text: "system prompt", cache_control: { type: "ephemeral" } }],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "hello", citations: [{ type: "char_location" }] },
          {
            type: "image",
            source: { type: "base64", media_type: "image/png", data: PNG },
            cache_control: { type: "ephemeral" },
          },
          { type: "image", source: { type: "file", file_id: "file_011" } },
          ...urlBlocks,
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: PDF },
            title: "doc",
            context: "ctx",
            citations: { enabled: true },
          },
          {
            type: "document",
            source: { type: "text", media_type: "text/plain", data: "plain text doc" },
          },
          {
            type: "document",
            source: {
              type: "content",
              content: [
                { type: "text", text: "part one" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
              ],
            },
          },
          { type: "document", source: { type: "file", file_id: "file_012" } },
          { type: "search_result", source: "x", title: "t", content: [] },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "hmm", signature: "sig-a" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "text", text: "calling a tool" },
          {
            type: "tool_use",
            id: "toolu_01",
            name: "get_weather",
            input: { city: "Paris" },
            cache_control: { type: "ephemeral" },
          },
          { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_01",
            content: [
              { type: "text", text: "sunny" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
              { type: "document", source: { type: "text", media_type: "text/plain", data: "log" } },
              { type: "tool_reference", tool_name: "x" },
            ],
            is_error: false,
            cache_control: { type: "ephemeral" },
          },
          { type: "text", text: "go on" },
        ],
      },
      { role: "system", content: [{ type: "text", text: "mid-conversation system" }] },
      { role: "assistant", content: "a plain answer" },
      { role: "user", content: "again" },
    ],
    tools: [
      {
        name: "get_weather",
        description: "weather",
        input_schema: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
        strict: true,
        cache_control: { type: "ephemeral" },
        input_examples: [{ city: "Paris" }],
      },
      { type: "custom", name: "get_time", input_schema: { type: "object", properties: {} } },
      { type: "web_search_20250305", name: "web_search", max_uses: 1 },
    ],
    tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    temperature: 1,
    top_p: 0.9,
    top_k: 40,
    stop_sequences: ["END"],
    metadata: { user_id: "user-1", other: 1 },
    thinking: { type: "enabled", budget_tokens: 1024, display: "omitted" },
    output_config: {
      effort: "low",
      format: { type: "json_schema", schema: { type: "object" } },
      other: true,
    },
    stream: false,
    service_tier: "auto",
  };
  const alternatives = {
    model,
    max_tokens: 256,
    system: "plain system string",
    messages: [
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_x", content: "orphan result", is_error: true },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "", signature: "" },
          { type: "tool_use", id: "toolu_02", name: "get_time", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_02" }] },
    ],
    tools: [{ name: "get_time", input_schema: { type: "object", properties: {} } }],
    tool_choice: { type: "any" },
    thinking: { type: "adaptive" },
    output_config: { effort: "max" },
  };
  const simple = {
    model,
    max_tokens: 100,
    system: "be brief",
    messages: [{ role: "user", content: [{ type: "text", text: "hello there" }] }],
    temperature: 0.3,
    tools: [
      {
        name: "get_weather",
        description: "weather",
        input_schema: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
    ],
    tool_choice: { type: "auto" },
  };
  const toolRound = {
    model,
    max_tokens: 100,
    messages: [
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris" } },
        ],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "sunny" }],
      },
    ],
    tools: [
      {
        name: "get_weather",
        input_schema: { type: "object", properties: { city: { type: "string" } } },
      },
    ],
    thinking: { type: "disabled" },
    stream: true,
  };
  return [full, alternatives, simple, toolRound];
}

/** Every field the Gemini request decoder reads, in camelCase and in snake_case. */
function geminiSeeds(): Record<string, unknown>[] {
  const full = {
    contents: [
      {
        role: "user",
        parts: [
          { text: "hello" },
          { inlineData: { mimeType: "image/png", data: PNG } },
          { fileData: { mimeType: "application/pdf", fileUri: "gs://bucket/a.pdf" } },
          { executableCode: { code: "print(1)" } },
        ],
      },
      {
        role: "model",
        parts: [
          { text: "thinking", thought: true, thoughtSignature: "c2lnLWc=" },
          { text: "ok", thoughtSignature: "c2lnLWc=" },
          {
            functionCall: { name: "get_weather", args: { city: "Paris" }, id: "fc_1" },
            thoughtSignature: "c2lnLWc=",
          },
          { functionCall: { name: "get_time", args: {} } },
          { codeExecutionResult: { outcome: "OUTCOME_OK" } },
        ],
      },
      {
        role: "user",
        parts: [
          {
            functionResponse: {
              name: "get_weather",
              id: "fc_1",
              response: { output: "sunny" },
              parts: [{ inlineData: { mimeType: "image/png", data: PNG } }],
            },
          },
          { functionResponse: { name: "get_time", response: { error: "no clock" } } },
          { functionResponse: { name: "unknown_fn", response: { a: 1, b: [2] } } },
        ],
      },
      { role: "function", parts: [{ functionResponse: { name: "get_time", response: {} } }] },
      { parts: [{ text: "again" }] },
    ],
    systemInstruction: {
      role: "system",
      parts: [{ text: "be brief" }, { inlineData: { mimeType: "image/png", data: PNG } }],
    },
    tools: [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "weather",
            parameters: {
              type: "OBJECT",
              properties: {
                city: {
                  type: "STRING",
                  nullable: true,
                  enum: ["Paris", "Rome"],
                  format: "enum",
                  example: "Paris",
                },
                n: { type: "INTEGER", minimum: "1", maximum: "9" },
                list: { type: "ARRAY", items: { type: "NUMBER" }, minItems: "1" },
                any: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }], nullable: true },
              },
              required: ["city"],
              propertyOrdering: ["city", "n"],
            },
          },
          {
            name: "get_time",
            parametersJsonSchema: { type: "object", properties: { tz: { type: "string" } } },
          },
        ],
      },
      { googleSearch: {} },
      { codeExecution: {} },
    ],
    toolConfig: {
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] },
      retrievalConfig: {},
    },
    generationConfig: {
      maxOutputTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      candidateCount: 1,
      stopSequences: ["END"],
      seed: "7",
      presencePenalty: 0.1,
      frequencyPenalty: 0.1,
      responseMimeType: "application/json",
      responseSchema: { type: "OBJECT", properties: { a: { type: "STRING" } } },
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true, thinkingLevel: "LOW" },
      responseModalities: ["TEXT"],
    },
    safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
    cachedContent: "cachedContents/abc",
  };
  const snake = {
    contents: [
      {
        role: "user",
        parts: [
          { text: "hi" },
          { inline_data: { mime_type: "image/png", data: PNG } },
          { file_data: { file_uri: "files/abc123" } },
        ],
      },
      {
        role: "model",
        parts: [
          {
            function_call: { name: "get_weather", args: { city: "Rome" } },
            thought_signature: "c2ln",
          },
        ],
      },
      {
        role: "user",
        parts: [{ function_response: { name: "get_weather", response: { result: "cloudy" } } }],
      },
    ],
    system_instruction: "plain system string",
    tools: [
      {
        function_declarations: [
          {
            name: "get_weather",
            parameters: { type: "OBJECT", properties: { city: { type: "STRING" } } },
          },
        ],
      },
    ],
    tool_config: {
      function_calling_config: {
        mode: "validated",
        allowed_function_names: ["get_weather", "other"],
      },
    },
    generation_config: {
      max_output_tokens: 64,
      stop_sequences: ["x"],
      response_mime_type: "text/x.enum",
      response_json_schema: { type: "string", enum: ["a"] },
      response_schema: { type: "STRING" },
      thinking_config: {
        thinking_budget: 0,
        include_thoughts: false,
        thinking_level: "THINKING_LEVEL_UNSPECIFIED",
      },
    },
  };
  const simple = {
    contents: [{ role: "user", parts: [{ text: "hello there" }] }],
    systemInstruction: { parts: [{ text: "be brief" }] },
    generationConfig: { maxOutputTokens: 50, temperature: 0.3 },
    tools: [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "weather",
            parameters: {
              type: "OBJECT",
              properties: { city: { type: "STRING" } },
              required: ["city"],
            },
          },
        ],
      },
    ],
    toolConfig: { functionCallingConfig: { mode: "AUTO" } },
  };
  const toolRound = {
    contents: [
      { role: "user", parts: [{ text: "weather in Paris?" }] },
      {
        role: "model",
        parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }],
      },
      {
        role: "user",
        parts: [{ functionResponse: { name: "get_weather", response: { output: "sunny" } } }],
      },
    ],
    tools: [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            parameters: { type: "OBJECT", properties: { city: { type: "STRING" } } },
          },
        ],
      },
    ],
    generationConfig: {
      responseMimeType: "application/json",
      thinkingConfig: { thinkingBudget: -1 },
    },
  };
  const wrapped = { generateContentRequest: { model: "models/x", ...simple } };
  return [full, snake, simple, toolRound, wrapped];
}

/** Every field the Responses request decoder reads: Codex's items, tools of every kind, reasoning. */
function responsesSeeds(model: string): Record<string, unknown>[] {
  const full = {
    model,
    instructions: "be brief",
    input: [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "dev note" }] },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "hello" },
          { type: "input_image", image_url: `data:image/png;base64,${PNG}`, detail: "low" },
          {
            type: "input_file",
            filename: "a.pdf",
            file_data: `data:application/pdf;base64,${PDF}`,
          },
        ],
      },
      {
        type: "reasoning",
        id: "rs_1",
        summary: [{ type: "summary_text", text: "let me think" }],
        encrypted_content: "enc-1",
      },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "checking", annotations: [] }],
      },
      {
        type: "function_call",
        call_id: "call_1",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
      {
        type: "function_call",
        call_id: "call_2",
        namespace: "mcp__docs",
        name: "search",
        arguments: "{}",
      },
      {
        type: "custom_tool_call",
        call_id: "call_3",
        name: "apply_patch",
        input: "*** Begin Patch\n*** End Patch",
      },
      { type: "function_call_output", call_id: "call_1", output: "sunny" },
      {
        type: "function_call_output",
        call_id: "call_2",
        output: [
          { type: "input_text", text: "found" },
          { type: "input_image", image_url: `data:image/png;base64,${PNG}` },
        ],
      },
      { type: "custom_tool_call_output", call_id: "call_3", output: "Done" },
      { type: "web_search_call", id: "ws_1", status: "completed" },
    ],
    tools: [
      {
        type: "function",
        name: "get_weather",
        description: "weather",
        parameters: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
        strict: false,
      },
      {
        type: "namespace",
        name: "mcp__docs",
        tools: [
          { type: "function", name: "search", parameters: { type: "object", properties: {} } },
        ],
      },
      {
        type: "custom",
        name: "apply_patch",
        description: "patch files",
        format: { type: "grammar", syntax: "lark", definition: 'start: "*** Begin Patch"' },
      },
      { type: "web_search" },
    ],
    tool_choice: "auto",
    parallel_tool_calls: true,
    max_output_tokens: 256,
    temperature: 0.5,
    top_p: 0.9,
    reasoning: { effort: "low", summary: "auto" },
    text: {
      format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
      verbosity: "low",
    },
    include: ["reasoning.encrypted_content"],
    store: false,
    prompt_cache_key: "thread-1",
    safety_identifier: "user-1",
    metadata: { team: "a" },
    stream: false,
  };
  const stringInput = { model, input: "hello", instructions: "be brief", max_output_tokens: 64 };
  const simple = {
    model,
    input: [{ role: "user", content: "hello" }],
    max_output_tokens: 64,
  };
  const toolRound = {
    model,
    input: [
      { role: "user", content: [{ type: "input_text", text: "weather in Paris?" }] },
      {
        type: "function_call",
        call_id: "call_1",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      },
      { type: "function_call_output", call_id: "call_1", output: "sunny" },
    ],
    tools: [
      {
        type: "function",
        name: "get_weather",
        parameters: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
    ],
    max_output_tokens: 64,
  };
  return [full, stringInput, simple, toolRound];
}

export function seedsFor(
  format: ApiType,
  model: string,
  withRemoteUrls = true,
): Record<string, unknown>[] {
  if (format === "openai") return openaiSeeds(model);
  if (format === "anthropic") return anthropicSeeds(model, withRemoteUrls);
  if (format === "responses") return responsesSeeds(model);
  return geminiSeeds();
}

/**
 * Requests the strict mocks accept through every group (passthrough and conversion), so that
 * mutations of them reach as deep as possible: the plain, tool-round and inline-media seeds.
 * The full seeds hold provider file ids and format-only features that some targets refuse.
 */
export function serverSeeds(format: ApiType, model: string): Record<string, unknown>[] {
  const [, , simple, toolRound] = seedsFor(format, model, false);
  const media: Record<ApiType, Record<string, unknown>> = {
    openai: {
      model,
      messages: [
        { role: "system", content: "describe images" },
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
      max_tokens: 64,
    },
    anthropic: {
      model,
      max_tokens: 64,
      system: [{ type: "text", text: "describe images" }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
          ],
        },
      ],
    },
    gemini: {
      systemInstruction: { parts: [{ text: "describe images" }] },
      contents: [
        {
          role: "user",
          parts: [{ text: "what is this?" }, { inlineData: { mimeType: "image/png", data: PNG } }],
        },
      ],
      generationConfig: { maxOutputTokens: 64 },
    },
    responses: {
      model,
      instructions: "describe images",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "what is this?" },
            { type: "input_image", image_url: `data:image/png;base64,${PNG}` },
          ],
        },
      ],
      max_output_tokens: 64,
    },
  };
  return [simple!, toolRound!, media[format]];
}

// ------------------------------------------------------------------ mutation

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/**
 * Values that have broken JSON decoders before: wrong types, prototype names used as keys or
 * enum values, surrogates, control characters, extreme numbers, and the enum words of all
 * formats in the wrong places.
 */
const NASTY: Json[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  1.5,
  2 ** 53 + 2,
  -(2 ** 31),
  1e308,
  -1e308,
  5e-324,
  "",
  " ",
  "x",
  "0",
  "-1",
  "1e400",
  "NaN",
  "true",
  "null",
  "[]",
  "{}",
  "{",
  '"',
  "\\",
  "\u0000",
  "\ud800",
  "\udfff",
  "\u202e",
  "𝄞",
  "é",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "auto",
  "none",
  "any",
  "required",
  "tool",
  "function",
  "allowed_tools",
  "text",
  "image",
  "image_url",
  "document",
  "file",
  "input_audio",
  "refusal",
  "user",
  "assistant",
  "system",
  "developer",
  "model",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
  "enabled",
  "disabled",
  "adaptive",
  "base64",
  "content",
  "json_schema",
  "json_object",
  "application/json",
  "ANY",
  "AUTO",
  "NONE",
  "VALIDATED",
  "OBJECT",
  "STRING",
  "ARRAY",
  "low",
  "max",
  "xhigh",
  "data:",
  "data:,",
  "data:image/png;base64,",
  "data:;base64,%%%",
  "data:text/plain,%E0%A4%A",
  "files/abc",
  "gs://b/o",
  "llmr-a1:x",
  "llmr-g1:",
  "bGxtci1hMTp4",
  "skip_thought_signature_validator",
  // Responses item, part, tool and event words, and its signature tag.
  "message",
  "input_text",
  "output_text",
  "input_image",
  "input_file",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output",
  "reasoning",
  "summary_text",
  "reasoning_text",
  "custom",
  "namespace",
  "grammar",
  "web_search",
  "completed",
  "incomplete",
  "failed",
  "max_output_tokens",
  "response.completed",
  "response.failed",
  "response.output_item.added",
  "response.output_text.delta",
  "response.function_call_arguments.delta",
  "llmr-r1:x",
  "a".repeat(70),
  "x".repeat(5000),
  [],
  {},
  [null],
  [[]],
  [{}],
  [""],
  [1, "a", null],
  { type: null },
  { type: "text" },
  { type: "function" },
  { "": "" },
];

/** String values that are enum words somewhere, or names every plain object inherits. */
const WORDS = NASTY.filter((v): v is string => typeof v === "string" && v.length < 40);

/** Keys worth inserting: prototype names and keys that mean something in some other format. */
const KEYS = [
  "__proto__",
  "constructor",
  "toString",
  "type",
  "text",
  "content",
  "role",
  "parts",
  "name",
  "id",
  "args",
  "input",
  "arguments",
  "schema",
  "",
  "\u0000",
  "😀",
  "cache_control",
  "thoughtSignature",
  "generateContentRequest",
  "error",
  "call_id",
  "namespace",
  "encrypted_content",
  "output",
  "item",
  "output_index",
];

export const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  },
);

export type Mutation =
  | { op: "delete"; at: number }
  | { op: "replace"; at: number; value: Json }
  | { op: "retype"; at: number }
  | { op: "insertKey"; at: number; key: string; value: Json }
  | { op: "wrap"; at: number; inArray: boolean }
  | { op: "duplicate"; at: number }
  | { op: "empty"; at: number }
  | { op: "swapWord"; at: number; word: string };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: nastyValue }),
  fc.record({ op: fc.constant("retype" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("insertKey" as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })),
    value: nastyValue,
  }),
  fc.record({ op: fc.constant("wrap" as const), at: fc.nat(), inArray: fc.boolean() }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("empty" as const), at: fc.nat() }),
  // Enum values are where lookup tables live: aim string leaves at other enums and prototype names.
  fc.record({
    op: fc.constant("swapWord" as const),
    at: fc.nat(),
    word: fc.constantFrom(...WORDS),
  }),
);

/** All paths into a JSON value, root first (bounded, so a huge seed costs little). */
function pathsOf(value: Json, limit = 2000): Path[] {
  const out: Path[] = [];
  const stack: { v: Json; p: Path }[] = [{ v: value, p: [] }];
  while (stack.length && out.length < limit) {
    const { v, p } = stack.pop()!;
    out.push(p);
    if (Array.isArray(v)) v.forEach((c, i) => stack.push({ v: c, p: [...p, i] }));
    else if (v !== null && typeof v === "object")
      for (const k of Object.keys(v)) stack.push({ v: v[k]!, p: [...p, k] });
  }
  return out;
}

const valueAt = (root: Json, path: Path): Json | undefined =>
  path.reduce<Json | undefined>(
    (v, k) => (v as Record<string, Json> | undefined)?.[k as string],
    root,
  );

const clone = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;

/** Sets an own property, even one named `__proto__`, as JSON.parse would create it. */
export function setOwn(o: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function retyped(v: Json): Json {
  if (v === null) return {};
  if (typeof v === "string") return v.length ? [v] : 0;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : 0;
  if (Array.isArray(v)) return v.length ? { ...v } : "";
  return Object.keys(v).length ? Object.values(v) : null;
}

/** Applies mutations in order; each picks its target among the current value's paths. */
export function mutate(seed: Json, mutations: Mutation[]): Json {
  let root = clone(seed);
  for (const m of mutations) {
    let paths = pathsOf(root);
    if (m.op === "swapWord") paths = paths.filter((p) => typeof valueAt(root, p) === "string");
    if (!paths.length) continue;
    const path = paths[m.at % paths.length]!;
    const parent = path.length
      ? (path
          .slice(0, -1)
          .reduce<Json>((v, k) => (v as Record<string, Json>)[k as string]!, root) as
          Record<string, Json> | Json[])
      : undefined;
    const key = path.at(-1);
    const current = parent === undefined ? root : (parent as Record<string, Json>)[key as string]!;
    let next: Json | undefined = current;
    switch (m.op) {
      case "delete":
        next = undefined;
        break;
      case "replace":
        // Cloned: the arbitraries hand out the same constant objects again and again.
        next = clone(m.value);
        break;
      case "retype":
        next = retyped(current);
        break;
      case "insertKey":
        if (current !== null && typeof current === "object" && !Array.isArray(current))
          setOwn(current, m.key, clone(m.value));
        else if (Array.isArray(current))
          current.splice(m.at % (current.length + 1), 0, clone(m.value));
        break;
      case "wrap":
        next = m.inArray ? [current] : { value: current };
        break;
      case "duplicate":
        if (Array.isArray(current) && current.length)
          current.push(clone(current[m.at % current.length]!));
        else if (Array.isArray(parent)) parent.push(clone(current));
        break;
      case "swapWord":
        next = m.word;
        break;
      case "empty":
        next = Array.isArray(current)
          ? []
          : current !== null && typeof current === "object"
            ? {}
            : typeof current === "string"
              ? ""
              : current;
        break;
    }
    if (next === current) continue;
    if (parent === undefined) root = next ?? {};
    else if (Array.isArray(parent)) {
      if (next === undefined) parent.splice(key as number, 1);
      else parent[key as number] = next;
    } else if (next === undefined) delete parent[key as string];
    else setOwn(parent, key as string, next);
  }
  return root;
}

/** Marks a removal in `fieldVariants`' replacement lists. */
export const DELETE = Symbol("delete");

/** A value of another JSON type than `v` (the first thing a careless decoder trips on). */
export function otherType(v: Json): Json {
  if (typeof v === "string") return 7;
  if (typeof v === "number") return "7";
  if (typeof v === "boolean") return "true";
  if (v === null) return {};
  if (Array.isArray(v)) return { 0: v[0] ?? null };
  return [v];
}

/**
 * Every field of `seed` (object members and array items, at any depth) replaced in turn by each
 * of `replacements` — a function of the current value, so a type flip can be one of them.
 */
export function fieldVariants(
  seed: Json,
  replacements: (current: Json) => (Json | typeof DELETE)[],
): { path: string; label: string; body: Json }[] {
  const out: { path: string; label: string; body: Json }[] = [];
  for (const path of pathsOf(seed)) {
    if (path.length === 0) continue;
    const current = valueAt(seed, path)!;
    for (const r of replacements(current)) {
      const body = clone(seed);
      const parent = valueAt(body, path.slice(0, -1)) as Record<string, Json> | Json[];
      const key = path.at(-1)!;
      if (r === DELETE) {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
      } else if (Array.isArray(parent)) parent[key as number] = r;
      else setOwn(parent, key as string, r);
      out.push({
        path: path.join("."),
        label: r === DELETE ? "deleted" : JSON.stringify(r).slice(0, 30),
        body,
      });
    }
  }
  return out;
}

/** Mutated copies of the given seeds: 1 to `most` mutations each. */
export function mutatedArb(seeds: Json[], most = 4): fc.Arbitrary<Json> {
  return fc
    .tuple(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutationArb, { minLength: 1, maxLength: most }),
    )
    .map(([i, ms]) => mutate(seeds[i]!, ms));
}

/** Fully random JSON objects, sometimes with the format's top-level keys so decoding goes deeper. */
export function randomBodyArb(keys: string[]): fc.Arbitrary<Json> {
  const value = fc.oneof(nastyValue, fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>);
  return fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 })), value, {
      maxKeys: 8,
    }) as fc.Arbitrary<Json>,
    fc.jsonValue({ maxDepth: 5 }) as fc.Arbitrary<Json>,
  );
}

export const TOP_KEYS: Record<ApiType, string[]> = {
  openai: [
    "model",
    "messages",
    "tools",
    "functions",
    "tool_choice",
    "function_call",
    "max_tokens",
    "stop",
    "response_format",
    "reasoning_effort",
    "stream",
    "stream_options",
    "temperature",
    "n",
    "seed",
  ],
  anthropic: [
    "model",
    "messages",
    "system",
    "max_tokens",
    "tools",
    "tool_choice",
    "metadata",
    "thinking",
    "output_config",
    "stop_sequences",
    "stream",
    "top_k",
  ],
  gemini: [
    "contents",
    "systemInstruction",
    "system_instruction",
    "tools",
    "toolConfig",
    "generationConfig",
    "generation_config",
    "generateContentRequest",
  ],
  responses: [
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_output_tokens",
    "reasoning",
    "text",
    "include",
    "store",
    "stream",
    "previous_response_id",
    "prompt_cache_key",
  ],
};

/** Bytes-level damage for the server: cut the text, or splice garbage into it. */
export const byteDamageArb = fc.record({
  cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  garbageAt: fc.double({ min: 0, max: 1, noNaN: true }),
  garbage: fc.oneof(
    fc.constantFrom(
      "",
      "{",
      "}",
      "]",
      "[",
      ",",
      ":",
      '"',
      "\\",
      "\u0000",
      "\ufeff",
      "null",
      "\ud800",
    ),
    fc.string({ unit: "binary", maxLength: 12 }),
  ),
});

export function damage(
  text: string,
  d: { cut?: number; garbageAt: number; garbage: string },
): string {
  const cut = d.cut === undefined ? text : text.slice(0, Math.floor(text.length * d.cut));
  const at = Math.floor(cut.length * d.garbageAt);
  return cut.slice(0, at) + d.garbage + cut.slice(at);
}

// ------------------------------------------------------------------ HTTP helpers

/** Where each format's generation endpoint lives, for a given group. */
export function endpoint(format: ApiType, group: string, stream = false): string {
  if (format === "openai") return "/v1/chat/completions";
  if (format === "anthropic") return "/v1/messages";
  if (format === "responses") return "/v1/responses";
  return `/v1beta/models/${group}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`;
}

/** Each client's own way of presenting the key (the other formats' headers would change error-format guessing). */
export function authHeaders(format: ApiType): Record<string, string> {
  if (format === "openai" || format === "responses") return { authorization: `Bearer ${TOKEN}` };
  if (format === "anthropic") return { "x-api-key": TOKEN, "anthropic-version": "2023-06-01" };
  return { "x-goog-api-key": TOKEN };
}

/** Puts the group into a body the way the format names it (Gemini: in the URL, so nothing to do). */
export function withGroup(format: ApiType, body: Json, group: string): Json {
  if (format === "gemini" || body === null || typeof body !== "object" || Array.isArray(body))
    return body;
  const out = { ...body };
  setOwn(out, "model", group);
  return out;
}

/**
 * The API's own error envelope, as its SDK parses it. Returns a description of what is wrong,
 * or undefined when the body is a well-formed error of that format.
 */
export function errorShapeProblem(
  format: ApiType,
  status: number,
  text: string,
): string | undefined {
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `body is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
  }
  const str = (v: unknown) => typeof v === "string" && v.length > 0;
  if (format === "openai" || format === "responses") {
    if (!body?.error || !str(body.error.message) || !str(body.error.type))
      return `not an OpenAI error: ${text.slice(0, 200)}`;
  } else if (format === "anthropic") {
    if (body?.type !== "error" || !str(body.error?.type) || !str(body.error?.message))
      return `not an Anthropic error: ${text.slice(0, 200)}`;
  } else if (
    !body?.error ||
    body.error.code !== status ||
    !str(body.error.message) ||
    !str(body.error.status)
  ) {
    return `not a Gemini error (status ${status}): ${text.slice(0, 200)}`;
  }
  return undefined;
}

/** Runs `work` over `items` with at most `width` in flight. */
export async function pool<T>(
  items: T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
}

/** What one request got: status, body, time; `hung` when nothing complete came back in time. */
export interface Outcome {
  status: number;
  text: string;
  ms: number;
  contentType: string;
  headers: Headers;
  hung?: string;
}

export async function send(url: string, init: RequestInit, timeoutMs = 15_000): Promise<Outcome> {
  const start = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return {
      status: res.status,
      text,
      ms: performance.now() - start,
      contentType: res.headers.get("content-type") ?? "",
      headers: res.headers,
    };
  } catch (e) {
    return {
      status: 0,
      text: "",
      ms: performance.now() - start,
      contentType: "",
      headers: new Headers(),
      hung: `${(e as Error).name}: ${(e as Error).message}`,
    };
  }
}

const END_MARKER: Record<ApiType, RegExp> = {
  openai: /^data: \[DONE\]/m,
  anthropic: /^event: message_stop/m,
  gemini: /"finishReason"/,
  responses: /^event: response\.(completed|incomplete)/m,
};

/** Each format's in-stream error event. */
const ERROR_EVENT: Record<ApiType, RegExp> = {
  openai: /^data: \{"error"/m,
  anthropic: /^event: error/m,
  gemini: /^data: \{"error"/m,
  responses: /^event: response\.failed/m,
};

/**
 * Whether a 2xx body carries an error. A Responses object always has `error`: null unless the
 * response failed (then `status` is "failed" and `error` holds its code and message), as in the
 * API reference's Response object; elsewhere any `error` key is one.
 */
function errorCarried(format: ApiType, body: object): boolean {
  if (format !== "responses") return "error" in body;
  const r = body as { error?: unknown; status?: unknown };
  return (r.error !== undefined && r.error !== null) || r.status === "failed";
}

/**
 * What is wrong with an answer to a client of `format`, if anything: no answer, a 5xx, an error
 * not in the client's envelope, an unparseable or error-carrying 2xx, a stream without its end.
 */
export function outcomeProblem(format: ApiType, o: Outcome): string | undefined {
  if (o.hung) return `no answer: ${o.hung} after ${Math.round(o.ms)} ms`;
  if (o.status >= 500) return `${o.status}: ${o.text.slice(0, 300)}`;
  if (o.status >= 400) {
    // Gemini's streamed-array mode wraps its errors in the array, as Google does.
    const text =
      format === "gemini" && o.text.trimStart().startsWith("[")
        ? JSON.stringify((JSON.parse(o.text) as unknown[])[0])
        : o.text;
    return errorShapeProblem(format, o.status, text);
  }
  if (o.status < 200 || o.status >= 300) return `unexpected status ${o.status}`;
  if (o.contentType.includes("text/event-stream")) {
    const errorEvent = ERROR_EVENT[format];
    if (errorEvent.test(o.text))
      return `in-stream error after a 200: ${o.text.slice(o.text.search(errorEvent), o.text.search(errorEvent) + 300)}`;
    if (!END_MARKER[format].test(o.text))
      return `stream without its end marker: …${o.text.slice(-200)}`;
    return undefined;
  }
  try {
    const body = JSON.parse(o.text) as unknown;
    const first = Array.isArray(body) ? body[0] : body;
    if (first && typeof first === "object" && errorCarried(format, first))
      return `error inside a 200: ${o.text.slice(0, 300)}`;
  } catch {
    return `200 with a body that is not JSON: ${o.text.slice(0, 200)}`;
  }
  return undefined;
}

// ------------------------------------------------------------------ hostile tool schemas

/**
 * JSON Schemas that reach into themselves: recursion through `#` and `$defs`, mutual recursion,
 * definitions that multiply when inlined, and JSON pointers with every escape (`~0`, `~1`,
 * %-escapes, valid and broken) aimed at keys that need them or at prototype names. A converter
 * must inline, cut or refuse each with a 400; never loop, throw or expand without bound.
 */
export function hostileSchemas(): Json[] {
  const doubling: Record<string, Json> = { D24: { type: "string", description: "leaf" } };
  for (let i = 0; i < 24; i++)
    doubling[`D${i}`] = {
      type: "object",
      properties: { a: { $ref: `#/$defs/D${i + 1}` }, b: { $ref: `#/$defs/D${i + 1}` } },
    };
  const escapedKeys = JSON.parse(
    '{"a/b":{"type":"string"},"m~n":{"type":"integer"},"50%":{"type":"number"},"a b":{"type":"boolean"},"__proto__":{"type":"string"},"constructor":{"$ref":"#/$defs/a~1b"}}',
  ) as Json;
  return [
    {
      type: "object",
      properties: { self: { $ref: "#" }, list: { type: "array", items: { $ref: "#" } } },
      required: ["self", "__proto__", "toString"],
    },
    { $ref: "#", description: "only itself" },
    {
      $defs: {
        Node: {
          type: "object",
          properties: {
            children: { type: "array", items: { $ref: "#/$defs/Node" } },
            parent: { $ref: "#/$defs/Node" },
          },
        },
      },
      $ref: "#/$defs/Node",
    },
    {
      definitions: {
        A: { allOf: [{ $ref: "#/definitions/B" }] },
        B: { anyOf: [{ $ref: "#/definitions/A" }, { type: "null" }] },
      },
      type: "object",
      properties: { a: { $ref: "#/definitions/A" } },
    },
    {
      $defs: doubling,
      type: "object",
      properties: { x: { $ref: "#/$defs/D0" }, y: { $ref: "#/$defs/D0" } },
    },
    { $defs: escapedKeys, type: "object", properties: escapedKeys },
    {
      $defs: escapedKeys,
      type: "object",
      properties: {
        slash: { $ref: "#/$defs/a~1b" },
        tilde: { $ref: "#/$defs/m~0n" },
        percent: { $ref: "#/$defs/50%25" },
        space: { $ref: "#/$defs/a%20b" },
        proto: { $ref: "#/$defs/__proto__" },
        inherited: { $ref: "#/$defs/toString" },
        badEscape: { $ref: "#/$defs/%E0%A4%A" },
        badHex: { $ref: "#/$defs/%zz" },
        lone: { $ref: "#/%" },
        outside: { $ref: "https://example.invalid/schema.json#/x" },
        empty: { $ref: "" },
        deep: { $ref: "#/$defs/a~1b/type/0/1" },
      },
    },
  ];
}

/** A request of `format` offering one tool per schema, with the first as the response schema too. */
export function withToolSchemas(
  format: ApiType,
  model: string,
  schemas: Json[],
): Record<string, unknown> {
  const name = (i: number) => `tool_${i}`;
  if (format === "openai") {
    return {
      model,
      messages: [{ role: "user", content: "hi" }],
      tools: schemas.map((s, i) => ({
        type: "function",
        function: { name: name(i), parameters: s },
      })),
      response_format: {
        type: "json_schema",
        json_schema: { name: "out", schema: schemas[0] ?? {} },
      },
    };
  }
  if (format === "anthropic") {
    return {
      model,
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
      tools: schemas.map((s, i) => ({ name: name(i), input_schema: s })),
      output_config: { format: { type: "json_schema", schema: schemas[0] ?? {} } },
    };
  }
  if (format === "responses") {
    return {
      model,
      input: "hi",
      tools: schemas.map((s, i) => ({ type: "function", name: name(i), parameters: s })),
      text: { format: { type: "json_schema", name: "out", schema: schemas[0] ?? {} } },
    };
  }
  return {
    contents: [{ role: "user", parts: [{ text: "hi" }] }],
    tools: [
      { functionDeclarations: schemas.map((s, i) => ({ name: name(i), parametersJsonSchema: s })) },
    ],
    generationConfig: {
      responseMimeType: "application/json",
      responseJsonSchema: schemas[0] ?? {},
    },
  };
}
