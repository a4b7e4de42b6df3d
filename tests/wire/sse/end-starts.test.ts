import { describe, expect, test } from "bun:test";
import { EndStartSearch, endsFrame } from "../../../src/wire/sse/end-starts";
import { RESPONSES_STREAM_END } from "../../../src/wire/responses/stream-end";
import { tailComplete } from "../../../src/wire/stream-end";

const bytes = (s: string) => new TextEncoder().encode(s);
const STARTS = RESPONSES_STREAM_END.endStarts!;

/** A Responses stream whose end event repeats a long answer, as the real service sends it. */
function stream(answer: string): string {
  const delta = JSON.stringify({ type: "response.output_text.delta", delta: answer });
  const done = JSON.stringify({ type: "response.completed", response: { output_text: answer } });
  return `event: response.created\ndata: {"type":"response.created"}\n\nevent: response.output_text.delta\ndata: ${delta}\n\nevent: response.completed\ndata: ${done}\n\n`;
}

describe("end starts", () => {
  test("an end event is found wherever two reads cut its start, and only once it came", () => {
    const text = stream("x".repeat(2000));
    const at = text.indexOf("\nevent: response.completed");
    for (let cut = at - 3; cut < at + "\nevent: response.completed".length; cut++) {
      const search = new EndStartSearch(STARTS);
      expect(search.push(bytes(text.slice(0, cut)))).toBe(false);
      expect(search.push(bytes(text.slice(cut)))).toBe(true);
    }
  });

  test("the end event's data line alone is enough (servers that send no event: lines)", () => {
    const text = stream("y").replace(/^event: .*\n/gm, "");
    const search = new EndStartSearch(STARTS);
    for (const ch of text) search.push(bytes(ch));
    expect(search.found).toBe(true);
  });

  test("text a model writes cannot fake an end: its line breaks are escaped", () => {
    const fake = 'see\nevent: response.completed\ndata: {"type":"response.completed"}';
    const search = new EndStartSearch(STARTS);
    expect(
      search.push(
        bytes(
          stream(fake).split(
            '\nevent: response.completed\ndata: {"type":"response.completed",',
          )[0]!,
        ),
      ),
    ).toBe(false);
  });

  test("a long end event is past the tail the other formats are judged by, not past this search", () => {
    const text = stream("z".repeat(20_000));
    expect(tailComplete(RESPONSES_STREAM_END, text.slice(-8192))).toBe(false);
    const search = new EndStartSearch(STARTS);
    for (let i = 0; i < text.length; i += 4096) search.push(bytes(text.slice(i, i + 4096)));
    expect(search.found).toBe(true);
  });

  test("a read ends a frame only at a blank line", () => {
    expect(endsFrame(bytes("data: {}\n\n"))).toBe(true);
    expect(endsFrame(bytes("data: {}\r\n\r\n"))).toBe(true);
    expect(endsFrame(bytes("data: {}\n"))).toBe(false);
    expect(endsFrame(bytes('data: {"a"'))).toBe(false);
  });
});
