import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { MockKind, RecordedRequest, Reply } from "../../mocks";
import { filePatcher, fileReader, patchText } from "./script";

/**
 * The scripted turns against request bodies Codex and opencode really sent (the fixtures), and
 * against the shapes their tools take after conversion, so the scripts are known to pick the
 * right tool before the real CLIs depend on them.
 */

const FIXTURES = join(import.meta.dir, "..", "..", "fixtures", "responses", "clients");
const load = async (name: string) => JSON.parse(await Bun.file(join(FIXTURES, name)).text());
const codexBody = await load("codex-request.json");
const opencodeBody = await load("opencode-request.json");

const asRequest = (body: unknown): RecordedRequest => ({
  method: "POST",
  path: "/v1/responses",
  query: {},
  headers: {},
  rawBody: JSON.stringify(body),
  body,
  aborted: false,
});

/** The body as its turn began: the history without the calls and their results. */
const firstTurn = (body: any) => ({
  ...body,
  input: body.input.filter((i: any) => i.type === undefined || i.type === "message"),
});

const PATH = "/scratch/work/notes.txt";
const target = { path: PATH, content: "llm-router-secret-1" };
const edit = { file: "notes.txt", before: "a", after: "b" };
const ask = (r: ReturnType<typeof fileReader>, body: unknown) => r(asRequest(body)) as Reply;

describe("reading a file", () => {
  test("opencode's read tool is called with the path, then its result is answered", () => {
    const read = fileReader("responses", target);
    expect(ask(read, firstTurn(opencodeBody)).toolCalls).toEqual([
      { name: "read", args: { filePath: PATH } },
    ]);
    const result = opencodeBody.input.find((i: any) => i.type === "function_call_output");
    const content = /llm-router-secret-[0-9a-f-]+/.exec(result.output)![0];
    const answer = ask(fileReader("responses", { path: PATH, content }), opencodeBody);
    expect(answer.text).toBe(`The file says: ${content}`);
  });

  test("Codex, without a reader, runs cat through its shell tool and thinks first", () => {
    const reply = ask(fileReader("responses", target), firstTurn(codexBody));
    expect(reply.toolCalls).toEqual([{ name: "exec_command", args: { cmd: `cat '${PATH}'` } }]);
    // Codex asked for reasoning (effort medium), so the scripted model reasons before acting.
    expect(reply.thinking?.text).toBeString();
  });

  test("a shell taking an argv array (a Gemini schema) gets one", () => {
    const body = {
      tools: [
        {
          functionDeclarations: [
            {
              name: "shell",
              parameters: { type: "OBJECT", properties: { command: { type: "ARRAY" } } },
            },
          ],
        },
      ],
    };
    expect(ask(fileReader("gemini", target), body).toolCalls).toEqual([
      { name: "shell", args: { command: ["cat", PATH] } },
    ]);
  });

  test("a request without tools (a title) gets a short answer", () => {
    expect(ask(fileReader("responses", target), { input: "title?" })).toEqual({ text: "OK." });
  });
});

describe("patching a file", () => {
  const chatWithPatch = (param: string) => ({
    messages: [{ role: "user", content: "patch it" }],
    tools: [
      {
        type: "function",
        function: {
          name: "apply_patch",
          parameters: { type: "object", properties: { [param]: { type: "string" } } },
        },
      },
    ],
  });

  test("Codex's freeform apply_patch is called with the patch text as input", () => {
    const reply = ask(filePatcher("responses", edit), firstTurn(codexBody));
    expect(reply.toolCalls).toEqual([{ name: "apply_patch", input: patchText(edit) }]);
    expect(patchText(edit)).toBe(
      "*** Begin Patch\n*** Update File: notes.txt\n@@\n-a\n+b\n*** End Patch",
    );
  });

  test("converted to a function, its one string parameter carries the patch", () => {
    for (const param of ["input", "patch"]) {
      const reply = ask(filePatcher("openai", edit), chatWithPatch(param));
      expect(reply.toolCalls).toEqual([
        { name: "apply_patch", args: { [param]: patchText(edit) } },
      ]);
    }
  });

  test("after apply_patch answered, its answer is reported", () => {
    const reply = ask(filePatcher("responses", edit), codexBody);
    expect(reply.text).toContain("apply_patch answered: ");
    expect(reply.toolCalls).toBeUndefined();
  });

  test("a request without apply_patch (another kind of call) gets a short answer", () => {
    const kinds: MockKind[] = ["responses", "openai", "anthropic", "gemini"];
    for (const kind of kinds)
      expect(ask(filePatcher(kind, edit), { tools: [] })).toEqual({ text: "OK." });
  });
});
