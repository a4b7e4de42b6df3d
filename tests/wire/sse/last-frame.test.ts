import { describe, expect, test } from "bun:test";
import { lastFrame } from "../../../src/wire/sse/last-frame";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("lastFrame: the last SSE frame of a chunk that ends where a frame ends", () => {
  test("finds the last frame after earlier ones, with LF, CRLF and CR line ends", () => {
    expect(lastFrame(bytes('data: {"a":1}\n\ndata: [DONE]\n\n'))).toBe("data: [DONE]");
    expect(lastFrame(bytes('data: {"a":1}\r\n\r\ndata: [DONE]\r\n\r\n'))).toBe("data: [DONE]");
    expect(lastFrame(bytes("data: x\r\rdata: y\r\r"))).toBe("data: y");
    expect(lastFrame(bytes('event: message_stop\ndata: {"type":"message_stop"}\n\n'))).toBe(
      'event: message_stop\ndata: {"type":"message_stop"}',
    );
  });

  test("a chunk that stops inside a frame, or after only one line end, has no last frame", () => {
    expect(lastFrame(bytes("data: [DONE]"))).toBeUndefined();
    expect(lastFrame(bytes("data: [DONE]\n"))).toBeUndefined();
    expect(lastFrame(bytes("data: [DONE]\r\n"))).toBeUndefined();
    expect(lastFrame(bytes("\n\n"))).toBeUndefined();
    expect(lastFrame(new Uint8Array(0))).toBeUndefined();
  });

  test("a long last frame is not returned; a long chunk with a short last frame is", () => {
    const long = `data: ${"x".repeat(2000)}\n\n`;
    expect(lastFrame(bytes(long))).toBeUndefined();
    expect(lastFrame(bytes(`${long}data: [DONE]\n\n`))).toBe("data: [DONE]");
  });

  test("looks at a view's own bytes, not the rest of its buffer", () => {
    const whole = bytes("data: [DONE]\n\ndata: tail-not-in-view\n\n");
    expect(lastFrame(whole.subarray(0, 14))).toBe("data: [DONE]");
  });
});
