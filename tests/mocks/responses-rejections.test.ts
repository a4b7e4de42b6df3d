// Every rule the Responses mock enforces, each answered as api.openai.com answers it: status 400
// (404 for unknown items), `{"error":{message,type,param,code}}` with the offending param named.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { post } from "./testkit.ts";

let m: MockUpstream;
beforeAll(async () => {
  m = await startMock("responses");
});
afterAll(() => m.stop());
beforeEach(() => m.reset());

const user = (text = "hi") => ({ role: "user", content: text });
const call = (id: string) => ({ type: "function_call", call_id: id, name: "f", arguments: "{}" });
const output = (id: string) => ({ type: "function_call_output", call_id: id, output: "ok" });

async function refused(body: Record<string, unknown>, status = 400) {
  const res = await post(m, "/responses", { model: "gpt-5", input: "hi", ...body });
  const err = ((await res.json()) as any).error;
  expect({ status: res.status, type: err.type }).toEqual({ status, type: "invalid_request_error" });
  return err;
}

describe("responses mock: top level", () => {
  test("unknown parameters, missing model and input", async () => {
    expect(await refused({ messages: [] })).toEqual({
      message: "Unknown parameter: 'messages'.",
      type: "invalid_request_error",
      param: "messages",
      code: "unknown_parameter",
    });
    expect(await refused({ model: undefined })).toMatchObject({
      message: "Missing required parameter: 'model'.",
      param: "model",
      code: "missing_required_parameter",
    });
    expect(await refused({ input: undefined })).toMatchObject({ param: "input" });
    expect(await refused({ input: 42 })).toMatchObject({ param: "input", code: "invalid_type" });
  });

  test("previous_response_id names a response the mock cannot know", async () => {
    expect(await refused({ previous_response_id: "resp_123" })).toMatchObject({
      message: "Previous response with id 'resp_123' not found.",
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  });

  test("max_output_tokens below 16, and other ranges and enums", async () => {
    expect(await refused({ max_output_tokens: 10 })).toMatchObject({
      message:
        "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 10 instead.",
      param: "max_output_tokens",
      code: "integer_below_min_value",
    });
    expect(await refused({ temperature: 3 })).toMatchObject({ param: "temperature" });
    expect(await refused({ reasoning: { effort: "huge" } })).toMatchObject({
      param: "reasoning.effort",
      code: "invalid_value",
    });
    expect(await refused({ include: ["reasoning.secret"] })).toMatchObject({ param: "include[0]" });
    expect(await refused({ stream_options: { include_obfuscation: false } })).toMatchObject({
      param: "stream_options",
    });
  });

  test("tools: unknown type, function without name, bad names", async () => {
    expect(await refused({ tools: [{ type: "browser" }] })).toMatchObject({
      param: "tools[0].type",
      code: "invalid_value",
    });
    expect(await refused({ tools: [{ type: "function", parameters: {} }] })).toMatchObject({
      message: "Missing required parameter: 'tools[0].name'.",
      param: "tools[0].name",
      code: "missing_required_parameter",
    });
    expect(await refused({ tools: [{ type: "custom" }] })).toMatchObject({
      param: "tools[0].name",
    });
    expect(await refused({ tools: [{ type: "function", name: "a.b" }] })).toMatchObject({
      param: "tools[0].name",
    });
    const ns = { type: "namespace", name: "mcp", tools: [{ type: "web_search" }] };
    expect(await refused({ tools: [ns] })).toMatchObject({ param: "tools[0].tools[0].type" });
  });

  test("auth: missing and wrong keys are 401", async () => {
    const res = await post(m, "/responses", { model: "gpt-5", input: "hi" }, {});
    expect(res.status).toBe(401);
    const wrong = await post(m, "/responses", {}, { authorization: "Bearer sk-wrong-0123456789" });
    expect(((await wrong.json()) as any).error.code).toBe("invalid_api_key");
  });
});

describe("responses mock: input items", () => {
  test("unknown item types and bad roles", async () => {
    expect(await refused({ input: [{ type: "tool_result", content: "x" }] })).toMatchObject({
      param: "input[0]",
      code: "invalid_value",
    });
    expect(await refused({ input: [{ role: "tool", content: "x" }] })).toMatchObject({
      message:
        "Invalid value: 'tool'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
      param: "input[0].role",
    });
  });

  test("content part types must suit the role", async () => {
    const said = (role: string, type: string) => ({
      type: "message",
      role,
      content: [{ type, text: "x" }],
    });
    expect(await refused({ input: [user(), said("assistant", "input_text")] })).toEqual({
      message: "Invalid value: 'input_text'. Supported values are: 'output_text' and 'refusal'.",
      type: "invalid_request_error",
      param: "input[1].content[0]",
      code: "invalid_value",
    });
    for (const role of ["user", "system", "developer"])
      expect(await refused({ input: [said(role, "output_text")] })).toMatchObject({
        message:
          "Invalid value: 'output_text'. Supported values are: 'input_text', 'input_image', and 'input_file'.",
        param: "input[0].content[0]",
      });
    const image = { type: "input_image", image_url: "data:text/plain;base64,AAAA" };
    expect(await refused({ input: [{ role: "user", content: [image] }] })).toMatchObject({
      param: "input[0].content[0].image_url",
    });
  });

  test("call ids must pair: an output needs an earlier call, a call needs its output", async () => {
    expect(await refused({ input: [user(), output("call_1")] })).toMatchObject({
      message: "No tool call found for function call output with call_id call_1.",
      param: "input",
    });
    expect(await refused({ input: [user(), output("call_1"), call("call_1")] })).toMatchObject({
      message: "No tool call found for function call output with call_id call_1.",
    });
    expect(await refused({ input: [user(), call("call_1")] })).toMatchObject({
      message: "No tool output found for function call call_1.",
      param: "input",
    });
    const custom = { type: "custom_tool_call", call_id: "call_c", name: "apply_patch", input: "p" };
    const customOut = { type: "custom_tool_call_output", call_id: "call_c", output: "done" };
    expect(await refused({ input: [user(), customOut] })).toMatchObject({
      message: "No tool call found for custom tool call output with call_id call_c.",
    });
    expect(await refused({ input: [user(), custom] })).toMatchObject({
      message: "No tool output found for custom tool call call_c.",
    });
    // A function output does not answer a custom call of the same id.
    expect(await refused({ input: [user(), custom, output("call_c")] })).toMatchObject({
      param: "input",
    });
    const ok = await post(m, "/responses", {
      model: "gpt-5",
      input: [user(), call("call_1"), custom, output("call_1"), customOut],
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).output[0].content[0].text).toBe("echo: okdone");
  });

  test("function_call.arguments must be a string", async () => {
    const objectArgs = { ...call("call_1"), arguments: { city: "Oslo" } };
    expect(await refused({ input: [user(), objectArgs, output("call_1")] })).toEqual({
      message:
        "Invalid type for 'input[1].arguments': expected a string, but got an object instead.",
      type: "invalid_request_error",
      param: "input[1].arguments",
      code: "invalid_type",
    });
  });

  test("reasoning replays only what this mock issued or stored", async () => {
    const rs = (extra: Record<string, unknown>) => ({
      type: "reasoning",
      id: "rs_x",
      summary: [],
      ...extra,
    });
    expect(
      await refused({ input: [user(), rs({ encrypted_content: "gAAAAABforged==" })] }),
    ).toEqual({
      message: "The encrypted content gAAA...ed== could not be verified.",
      type: "invalid_request_error",
      param: null,
      code: "invalid_encrypted_content",
    });
    expect(await refused({ store: false, input: [user(), rs({})] }, 404)).toMatchObject({
      message: expect.stringContaining("Items are not persisted when `store` is set to false."),
    });
    expect(await refused({ input: [user(), rs({ status: "completed" })] })).toMatchObject({
      code: "unknown_parameter",
      param: "input[1].status",
    });
    expect(
      await refused({ input: [{ type: "item_reference", id: "msg_nope" }] }, 404),
    ).toMatchObject({ message: "Item with id 'msg_nope' not found." });

    m.reply({ thinking: { text: "hmm" }, text: "first" });
    const first: any = await (
      await post(m, "/responses", {
        model: "gpt-5",
        input: "q",
        store: false,
        include: ["reasoning.encrypted_content"],
      })
    ).json();
    const replay = { model: "gpt-5", store: false, input: ["q", ...first.output, user("again")] };
    replay.input[0] = user("q");
    expect((await post(m, "/responses", replay)).status).toBe(200);

    // With store on, the items are kept and may be referenced by id alone.
    m.reply({ thinking: { text: "hmm" }, text: "first" });
    const stored: any = await (await post(m, "/responses", { model: "gpt-5", input: "q" })).json();
    const refs = stored.output.map((i: any) => ({ type: "item_reference", id: i.id }));
    const res = await post(m, "/responses", { model: "gpt-5", input: [user("q"), ...refs] });
    expect(res.status).toBe(200);
  });
});
