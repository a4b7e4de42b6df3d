import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { MockKind, RecordedRequest } from "../mocks";
import { anthropicDriver, geminiDriver, openaiDriver, type Driver } from "./clients";
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
  drivers = [openaiDriver(h.base), anthropicDriver(h.base), geminiDriver(h.base)];
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const body = (r: RecordedRequest) => r.body as Record<string, any>;

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
  return JSON.stringify(
    b.contents.flatMap((c: any) => c.parts).find((p: any) => p.functionResponse).functionResponse
      .response,
  );
}

function toolNamesSeen(kind: MockKind, r: RecordedRequest): string[] {
  const b = body(r);
  if (kind === "openai") return (b.tools ?? []).map((t: any) => t.function.name);
  if (kind === "anthropic") return (b.tools ?? []).map((t: any) => t.name);
  return (b.tools ?? []).flatMap((t: any) => t.functionDeclarations ?? []).map((d: any) => d.name);
}

const KINDS: MockKind[] = ["openai", "anthropic", "gemini"];

for (const clientKind of KINDS) {
  for (const upstream of KINDS.filter((k) => k !== clientKind)) {
    for (const stream of [false, true]) {
      describe(`${clientKind} client → ${upstream} upstream${stream ? " (stream)" : ""}`, () => {
        const driver = () => drivers.find((d) => d.name === clientKind)!;
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
      });
    }
  }
}
