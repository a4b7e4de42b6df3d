import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startRouterProcess, type RouterProcess } from "../e2e/router-process";
import { createLab, KEYS, recipe, startMocks, type Lab, type Mocks } from "./provider-recipes";

/**
 * What only a served request shows about the provider recipes: the router (its own process, on
 * the README's block pointed at the mocks) routes by the recipe's selectors, clients get the
 * provider's reasoning in their own format, and the fields a recipe removes never arrive. The
 * negatives run the same block without its fix and get the provider's refusal.
 */

setDefaultTimeout(60_000);

const TOKEN = "router-token-providers-serve";
let lab: Lab;
let m: Mocks;
const routers: RouterProcess[] = [];
beforeAll(async () => {
  lab = await createLab("providers-serve");
  m = startMocks();
});
afterAll(async () => {
  await Promise.all(routers.map((r) => r.stop()));
  await Promise.all(Object.values(m ?? {}).map((x) => x.stop()));
  await lab?.cleanup();
});

/** The router serving this config; the key variables are written in (the process gets no keys). */
async function serve(config: string): Promise<string> {
  const text = config.replace(/\$\{(\w+)\}/g, (_, v: keyof typeof KEYS) => KEYS[v]);
  const file = await lab.file(`serve-${routers.length}.yaml`, text);
  const router = await startRouterProcess(file, lab.dir, { token: TOKEN });
  routers.push(router);
  return router.origin;
}

async function chat(origin: string, body: object) {
  const res = await fetch(`${origin}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function messages(origin: string, body: object) {
  const res = await fetch(`${origin}/v1/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": TOKEN,
      "anthropic-version": "2023-06-01",
    },
    body: JSON.stringify({ max_tokens: 256, ...body }),
  });
  return { status: res.status, text: await res.text() };
}

const hi = [{ role: "user", content: "hi" }];

describe("DashScope: streamed requests think, the others do not", () => {
  test("the group's selectors send each request to the entry DashScope accepts it from", async () => {
    const origin = await serve(recipe("provider-dashscope", m.dashscope));
    const plain = await chat(origin, { model: "qwen", messages: hi });
    expect(plain.status).toBe(200);
    // Passed through as the client sent it, not streamed, with the entry's enable_thinking.
    const first = m.dashscope.requests.at(-1)!.body;
    expect([first.enable_thinking, first.stream]).toEqual([false, undefined]);

    const streamed = await chat(origin, { model: "qwen", messages: hi, stream: true });
    expect(streamed.status).toBe(200);
    expect(m.dashscope.requests.at(-1)!.body).toMatchObject({
      enable_thinking: true,
      stream: true,
    });
    // Passed through as DashScope sent it: the thinking arrives as reasoning_content.
    expect(streamed.text).toContain('"reasoning_content":"We"');

    // A streamed request that forces a tool goes to the entry that does not think, which
    // DashScope takes it from; the thinking entry would refuse it.
    const forced = await chat(origin, {
      model: "qwen",
      messages: hi,
      stream: true,
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
      tool_choice: "required",
    });
    expect(forced.status).toBe(200);
    expect(m.dashscope.requests.at(-1)!.body).toMatchObject({
      enable_thinking: false,
      stream: true,
      tool_choice: "required",
    });
  });

  test("without the selectors, a request that is not streamed reaches the thinking entry and is refused", async () => {
    const block = recipe("provider-dashscope", m.dashscope);
    const onlyThinking = block
      .replace(/ {8}- name: qwen-plus-thinking.*\n.*\n/, "        - name: qwen-plus-thinking\n")
      .replace(/ {8}- name: qwen-plus\n.*\n/, "");
    expect(onlyThinking).not.toContain("selector");
    const origin = await serve(onlyThinking);
    const res = await chat(origin, { model: "qwen", messages: hi });
    expect(res.status).toBe(400);
    expect(res.text).toContain(
      "parameter.enable_thinking must be set to false for non-streaming calls",
    );
  });
});

describe("DeepSeek: reasoning_content reaches clients of any format, and goes back", () => {
  test("an Anthropic client gets thinking blocks, answered and streamed", async () => {
    const origin = await serve(recipe("provider-deepseek", m.deepseek));
    const answer = await messages(origin, { model: "deepseek", messages: hi });
    expect(answer.status).toBe(200);
    const content = JSON.parse(answer.text).content;
    expect(content.map((b: any) => b.type)).toEqual(["thinking", "text"]);
    expect(content[0].thinking).toBe("The user asks for one word.");

    const streamed = await messages(origin, { model: "deepseek", messages: hi, stream: true });
    expect(streamed.status).toBe(200);
    // The recorded stream's first reasoning fragment, as an Anthropic thinking delta.
    expect(streamed.text).toContain('"type":"thinking_delta","thinking":"H"');
    expect(streamed.text).toContain("event: message_stop");
  });

  test("a tool-call turn goes back with its reasoning, which DeepSeek refuses to go without", async () => {
    const origin = await serve(recipe("provider-deepseek", m.deepseek));
    const tools = [
      {
        name: "roll",
        description: "Rolls a die.",
        input_schema: { type: "object", properties: {} },
      },
    ];
    const turn = await messages(origin, {
      model: "deepseek",
      tools,
      messages: [
        ...hi,
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "I should roll.", signature: "" },
            { type: "tool_use", id: "toolu_1", name: "roll", input: {} },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "4" }] },
      ],
    });
    expect(turn.status).toBe(200);
    const sent = m.deepseek.requests.at(-1)!.body.messages.find((x: any) => x.tool_calls);
    expect(sent.reasoning_content).toBe("I should roll.");

    // An OpenAI client's own history is passed as it is: without the reasoning, DeepSeek says no.
    const bare = await chat(origin, {
      model: "deepseek",
      tools: [{ type: "function", function: { name: "roll", parameters: { type: "object" } } }],
      messages: [
        ...hi,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "roll", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "4" },
      ],
    });
    expect(bare.status).toBe(400);
    expect(bare.text).toContain("must be passed back to the API");
  });
});

describe("Moonshot: the sampling fields clients send never reach kimi-k2.6", () => {
  test("removed by the recipe's rewrite_body; without it, refused", async () => {
    const block = recipe("provider-moonshot", m.moonshot);
    const origin = await serve(block);
    const sampled = { model: "kimi", messages: hi, temperature: 0.2, top_p: 0.5 };
    expect((await chat(origin, sampled)).status).toBe(200);
    const sent = m.moonshot.requests.at(-1)!.body;
    expect(sent).not.toHaveProperty("temperature");
    expect(sent).not.toHaveProperty("top_p");

    const unfixed = await serve(block.replace(/^ +rewrite_body: .*\n/m, ""));
    const refused = await chat(unfixed, sampled);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("invalid temperature: only 1 is allowed for this model");
  });
});
