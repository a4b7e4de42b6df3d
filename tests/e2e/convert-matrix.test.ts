import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { MockKind, RecordedRequest } from "../mocks";
import type { Driver } from "./clients";
import { DRIVERS } from "./clients-responses";
import { startHarness, type Harness } from "./harness";

/**
 * Every client SDK against every upstream of another format, streamed and not: what the client
 * sees, and what the strict mock received (it refuses anything the real service would).
 */

// 1×1 transparent PNG.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

let h: Harness;
let drivers: Driver[];
beforeAll(async () => {
  h = await startHarness();
  drivers = DRIVERS.map((d) => d.make(h.base));
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const body = (r: RecordedRequest) => r.body as Record<string, any>;

/** A Responses request's input as a list of items (a string is one user message). */
const responsesInput = (b: Record<string, any>): any[] =>
  typeof b.input === "string" ? [{ role: "user", content: b.input }] : b.input;
const partsText = (c: unknown): string =>
  typeof c === "string" ? c : (c as any[]).map((p) => p.text ?? "").join("");

function systemSeen(kind: MockKind, r: RecordedRequest): string {
  const b = body(r);
  if (kind === "openai")
    return b.messages
      .filter((m: any) => m.role === "system")
      .map((m: any) =>
        typeof m.content === "string" ? m.content : m.content.map((p: any) => p.text).join(""),
      )
      .join("\n");
  if (kind === "anthropic")
    return typeof b.system === "string"
      ? b.system
      : (b.system ?? []).map((s: any) => s.text).join("\n");
  if (kind === "responses")
    return [
      b.instructions ?? "",
      ...responsesInput(b)
        .filter((m: any) => m.role === "system" || m.role === "developer")
        .map((m: any) => partsText(m.content)),
    ]
      .filter(Boolean)
      .join("\n");
  return (b.systemInstruction?.parts ?? []).map((p: any) => p.text).join("\n");
}

function imageSeen(kind: MockKind, r: RecordedRequest): string | undefined {
  const b = body(r);
  if (kind === "openai")
    return b.messages
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .find((p: any) => p.type === "image_url")?.image_url.url;
  if (kind === "anthropic")
    return b.messages
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .find((p: any) => p.type === "image")?.source.data;
  if (kind === "responses")
    return responsesInput(b)
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .find((p: any) => p.type === "input_image")?.image_url;
  return b.contents.flatMap((c: any) => c.parts).find((p: any) => p.inlineData)?.inlineData.data;
}

function toolResultSeen(kind: MockKind, r: RecordedRequest): string {
  const b = body(r);
  if (kind === "openai")
    return b.messages
      .filter((m: any) => m.role === "tool")
      .map((m: any) =>
        typeof m.content === "string" ? m.content : m.content.map((p: any) => p.text).join(""),
      )
      .join();
  if (kind === "anthropic") {
    const block = b.messages
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .find((p: any) => p.type === "tool_result");
    return typeof block.content === "string"
      ? block.content
      : block.content.map((p: any) => p.text).join("");
  }
  if (kind === "responses")
    return responsesInput(b)
      .filter((it: any) => it.type === "function_call_output")
      .map((it: any) => partsText(it.output))
      .join();
  return JSON.stringify(
    b.contents.flatMap((c: any) => c.parts).find((p: any) => p.functionResponse).functionResponse
      .response,
  );
}

function toolNamesSeen(kind: MockKind, r: RecordedRequest): string[] {
  const b = body(r);
  if (kind === "openai") return (b.tools ?? []).map((t: any) => t.function.name);
  if (kind === "anthropic" || kind === "responses") return (b.tools ?? []).map((t: any) => t.name);
  return (b.tools ?? []).flatMap((t: any) => t.functionDeclarations ?? []).map((d: any) => d.name);
}

const KINDS: MockKind[] = ["openai", "anthropic", "gemini", "responses"];
// Each provider's own word for an answer cut at the token limit.
const CUT: Record<MockKind, string> = {
  openai: "length",
  anthropic: "max_tokens",
  gemini: "MAX_TOKENS",
  responses: "max_output_tokens",
};

for (const client of DRIVERS) {
  for (const upstream of KINDS.filter((k) => k !== client.format)) {
    for (const stream of [false, true]) {
      describe(`${client.name} client → ${upstream} upstream${stream ? " (stream)" : ""}`, () => {
        const driver = () => drivers.find((d) => d.name === client.name)!;
        const mock = () => h.mocks[upstream];

        test("text: content, finish, usage, model names the group", async () => {
          const { outcome } = await driver().ask({ group: upstream, stream, text: "hello world" });
          expect(outcome.text).toBe("echo: hello world");
          expect(outcome.finish).toBe("stop");
          expect(outcome.usage).toEqual({ input: 2, output: 3 });
          expect(outcome.model).toBe(upstream);
          const [seen] = mock().requests;
          expect(seen!.rejected).toBeUndefined();
          expect(seen!.path).toContain(upstream === "gemini" ? "gemini-upstream" : "");
          if (upstream !== "gemini") expect(body(seen!).model).toMatch(/-upstream$/);
        });

        test("system prompt reaches the upstream's system field", async () => {
          const { outcome } = await driver().ask({
            group: upstream,
            stream,
            system: "Answer tersely.",
            text: "hi",
          });
          expect(outcome.text).toBe("echo: hi");
          expect(systemSeen(upstream, mock().requests[0]!)).toBe("Answer tersely.");
        });

        test("an inline image arrives intact", async () => {
          const { outcome } = await driver().ask({
            group: upstream,
            stream,
            text: "what is this",
            imagePng: PNG,
          });
          expect(outcome.text).toBe("echo: what is this");
          expect(imageSeen(upstream, mock().requests[0]!)).toContain(PNG);
        });

        test("tool round trip: define → call → result → answer", async () => {
          mock().reply({
            toolCalls: [{ id: "call_up1", name: "get_weather", args: { city: "Oslo" } }],
          });
          const { outcome, followUp } = await driver().ask({
            group: upstream,
            stream,
            text: "weather in Oslo?",
            tool: true,
          });
          expect(toolNamesSeen(upstream, mock().requests[0]!)).toEqual(["get_weather"]);
          expect(outcome.finish).toBe("tool_calls");
          expect(outcome.toolCalls).toHaveLength(1);
          expect(outcome.toolCalls[0]).toMatchObject({
            name: "get_weather",
            args: { city: "Oslo" },
          });
          const answer = await followUp("sunny");
          const second = mock().requests[1]!;
          expect(second.rejected).toBeUndefined();
          expect(toolResultSeen(upstream, second)).toContain("sunny");
          expect(answer.text).toBe("echo: sunny");
          expect(answer.finish).toBe("stop");
        });

        test("reasoning comes back in the client's native form", async () => {
          mock().reply({ thinking: { text: "pondering" }, text: "answer" });
          const { outcome } = await driver().ask({
            group: upstream,
            stream,
            text: "think",
            think: true,
          });
          expect(outcome.reasoning).toBe("pondering");
          expect(outcome.text).toBe("answer");
          expect(mock().requests[0]!.rejected).toBeUndefined();
        });

        test("reasoning before a tool call goes back to the upstream that issued it", async () => {
          mock().reply({
            thinking: { text: "weather first" },
            toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }],
          });
          const { outcome, followUp } = await driver().ask({
            group: upstream,
            stream,
            text: "weather in Oslo?",
            tool: true,
            think: true,
          });
          expect(outcome.reasoning).toBe("weather first");
          expect(outcome.finish).toBe("tool_calls");
          const answer = await followUp("sunny");
          // The strict mocks refuse a signature (or encrypted_content) they did not issue.
          expect(mock().requests[1]!.rejected).toBeUndefined();
          expect(answer.text).toBe("echo: sunny");
        });

        test("an answer cut at the token limit finishes as the client's length", async () => {
          mock().reply({
            text: "cut short",
            finish: CUT[upstream],
            usage: { input: 5, output: 9 },
          });
          const { outcome } = await driver().ask({ group: upstream, stream, text: "go on" });
          expect(outcome.text).toBe("cut short");
          expect(outcome.finish).toBe("length");
          expect(outcome.usage).toEqual({ input: 5, output: 9 });
        });
      });
    }
  }
}
