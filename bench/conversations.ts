/**
 * Agent-like conversations of a given size in each client format, for the "big conversations"
 * block of `bun run bench`: a long system prompt and tool set, then turn after turn of reasoning
 * text, parallel tool calls and their results (source files, command output with quotes and
 * newlines), now and then a screenshot as base64 and a long user message. Deterministic.
 */

export type Format = "openai" | "anthropic" | "gemini";

/** A seeded generator (LCG), so every run sends the same bytes. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const WORDS =
  "the router reads each request once converts it for the upstream and answers in the client format while tool calls keep their ids and results follow their calls".split(
    " ",
  );

function prose(rnd: () => number, chars: number): string {
  const out: string[] = [];
  let n = 0;
  while (n < chars) {
    const w = WORDS[Math.floor(rnd() * WORDS.length)]!;
    out.push(w);
    n += w.length + 1;
  }
  return out.join(" ");
}

/** A source file: indentation, quotes, backslashes and newlines, the escapes JSON has to carry. */
function sourceFile(rnd: () => number, chars: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const line = `  ${i % 7 === 0 ? "// " : ""}const v${i} = "${prose(rnd, 20 + Math.floor(rnd() * 40))}\\n"; // \t${Math.floor(rnd() * 1e6)}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join("\n");
}

/** A PNG's first bytes, then noise: what a screenshot looks like to a router (it never decodes images). */
function screenshot(rnd: () => number, bytes: number): string {
  const data = new Uint8Array(bytes);
  data.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < bytes; i++) data[i] = Math.floor(rnd() * 256);
  return Buffer.from(data).toString("base64");
}

const TOOLS = [
  "read_file",
  "run_command",
  "search",
  "edit_file",
  "list_dir",
  "web_fetch",
  "todo_write",
  "grep",
].map((name) => ({
  name,
  description: `${name}: ${WORDS.slice(0, 12).join(" ")}`,
  schema: {
    type: "object",
    properties: {
      path: { type: "string", description: "absolute path" },
      pattern: { type: "string" },
      limit: { type: "integer", minimum: 1 },
    },
    required: ["path"],
  },
}));

interface Call {
  id: string;
  name: string;
  args: Record<string, unknown>;
  result: string;
}

interface Turn {
  thought: string;
  calls: Call[];
  /** A screenshot some tool returned, shown to the model in the next user turn. */
  image?: string;
  /** A long message from the user after the results. */
  followUp?: string;
}

/** The format-neutral story, turn by turn, until `encode(story)` would reach `bytes`. */
function* turns(seed: number): Generator<Turn> {
  const rnd = random(seed);
  for (let t = 0; ; t++) {
    const calls: Call[] = Array.from({ length: 1 + (t % 3) }, (_, k) => {
      const name = TOOLS[(t + k) % TOOLS.length]!.name;
      return {
        id: `call_${t}_${k}`,
        name,
        args: { path: `/repo/src/module${t}/file${k}.ts`, limit: 200 + k },
        result: sourceFile(rnd, 1500 + Math.floor(rnd() * 6000)),
      };
    });
    const turn: Turn = { thought: prose(rnd, 200 + Math.floor(rnd() * 800)), calls };
    if (t % 12 === 5) turn.image = screenshot(rnd, 60_000 + Math.floor(rnd() * 60_000));
    if (t % 9 === 4) turn.followUp = prose(rnd, 4000 + Math.floor(rnd() * 12_000));
    yield turn;
  }
}

const SYSTEM = (rnd: () => number) => prose(rnd, 12_000);

function openaiMessages(turn: Turn): unknown[] {
  const out: unknown[] = [
    {
      role: "assistant",
      content: turn.thought,
      tool_calls: turn.calls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      })),
    },
    ...turn.calls.map((c) => ({ role: "tool", tool_call_id: c.id, content: c.result })),
  ];
  const user: unknown[] = [];
  if (turn.image)
    user.push(
      { type: "text", text: "the screenshot the tool took:" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${turn.image}` } },
    );
  if (turn.followUp) user.push({ type: "text", text: turn.followUp });
  if (user.length) out.push({ role: "user", content: user });
  return out;
}

function anthropicMessages(turn: Turn): unknown[] {
  const results: unknown[] = turn.calls.map((c) => ({
    type: "tool_result",
    tool_use_id: c.id,
    content: c.result,
  }));
  if (turn.image)
    results.push({
      type: "image",
      source: { type: "base64", media_type: "image/png", data: turn.image },
    });
  if (turn.followUp) results.push({ type: "text", text: turn.followUp });
  return [
    {
      role: "assistant",
      content: [
        { type: "text", text: turn.thought },
        ...turn.calls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: c.args })),
      ],
    },
    { role: "user", content: results },
  ];
}

function geminiContents(turn: Turn): unknown[] {
  const parts: unknown[] = turn.calls.map((c) => ({
    functionResponse: { id: c.id, name: c.name, response: { output: c.result } },
  }));
  if (turn.image) parts.push({ inlineData: { mimeType: "image/png", data: turn.image } });
  if (turn.followUp) parts.push({ text: turn.followUp });
  return [
    {
      role: "model",
      parts: [
        { text: turn.thought },
        ...turn.calls.map((c) => ({ functionCall: { id: c.id, name: c.name, args: c.args } })),
      ],
    },
    { role: "user", parts },
  ];
}

/**
 * The last turn fans out: one parallel call per 4 KB of the conversation (250 in 1 MB, 8,000 in
 * 32 MB), the way an agent reads a whole directory at once. Pairing calls with results by scanning
 * would make this turn alone cost the square of that.
 */
function fanOut(bytes: number): Turn {
  const calls: Call[] = Array.from({ length: Math.floor(bytes / 4000) }, (_, k) => ({
    id: `call_fan_${k}`,
    name: "read_file",
    args: { path: `/repo/docs/page${k}.md` },
    result: `# page ${k}\nnothing to change here`,
  }));
  return { thought: "reading every page at once", calls };
}

/** A request body of `format` for `group`, about `bytes` long as JSON (within one turn, a few KB). */
export function conversation(format: Format, group: string, bytes: number, seed = 1): string {
  const rnd = random(seed + 1);
  const system = SYSTEM(rnd);
  const ask = prose(rnd, 2000);
  const list: unknown[] = [];
  const render =
    format === "openai"
      ? openaiMessages
      : format === "anthropic"
        ? anthropicMessages
        : geminiContents;
  const last = render(fanOut(bytes));
  let size = JSON.stringify(last).length;
  for (const turn of turns(seed)) {
    if (size >= bytes) break;
    for (const m of render(turn)) {
      list.push(m);
      size += JSON.stringify(m).length + 1;
    }
  }
  list.push(...last);
  if (format === "openai") {
    const tools = TOOLS.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.schema },
    }));
    return JSON.stringify({
      model: group,
      messages: [{ role: "system", content: system }, { role: "user", content: ask }, ...list],
      tools,
      max_tokens: 1024,
    });
  }
  if (format === "anthropic") {
    const tools = TOOLS.map((t) => ({
      name: t.name,
      description: t.description,
      input_schema: t.schema,
    }));
    return JSON.stringify({
      model: group,
      max_tokens: 1024,
      system,
      messages: [{ role: "user", content: ask }, ...list],
      tools,
    });
  }
  const tools = [
    {
      functionDeclarations: TOOLS.map((t) => ({
        name: t.name,
        description: t.description,
        parameters: t.schema,
      })),
    },
  ];
  return JSON.stringify({
    systemInstruction: { parts: [{ text: system }] },
    contents: [{ role: "user", parts: [{ text: ask }] }, ...list],
    tools,
    generationConfig: { maxOutputTokens: 1024 },
  });
}
