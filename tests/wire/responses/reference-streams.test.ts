import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { isRouterError } from "../../../src/ir/error";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { ctx } from "./helpers";
import { decodeStream, encodeStream, fixtureJson, fixtureText, wireEvents } from "./stream-helpers";

/**
 * The streams and bodies written from the API reference (tests/fixtures/README.md), read by the
 * decoders and written again by the encoders: what comes out must be the reference's own
 * sequence, event for event, index for index.
 */

const codexCtx = () => {
  const c = ctx();
  c.clientTools.set("apply_patch", { name: "apply_patch", freeform: true });
  return c;
};

/** What places and carries each event: ids and padding are each server's own. */
const shape = (text: string) =>
  wireEvents(text).map(({ event, data }) => ({
    event,
    output_index: data.output_index,
    content_index: data.content_index,
    summary_index: data.summary_index,
    delta: data.delta,
    text: data.text ?? data.arguments ?? data.input,
    item: data.item && { type: data.item.type, status: data.item.status },
    status: data.response?.status,
  }));

for (const name of [
  "text",
  "function-call",
  "reasoning",
  "custom-tool-call",
  "incomplete",
  "failed",
]) {
  test(`${name}-stream.sse: decoded and encoded again, the same event sequence`, async () => {
    const reference = fixtureText(`${name}-stream.sse`);
    const events = await decodeStream(reference, codexCtx());
    expect(shape(encodeStream(events, codexCtx()))).toEqual(shape(reference));
  });
}

for (const name of ["text", "function-call", "reasoning", "custom-tool-call", "incomplete"]) {
  test(`${name}.json: decoded and encoded again, the same output and usage`, () => {
    const reference = fixtureJson(`${name}.json`);
    const res = responsesCodec.decodeResponse(reference, codexCtx());
    if (isRouterError(res)) throw new Error(res.message);
    const body = JSON.parse(JSON.stringify(responsesCodec.encodeResponse(res, codexCtx())));
    const strip = (items: Record<string, unknown>[]) =>
      items.map(({ id: _id, ...item }) => ({
        ...item,
        encrypted_content: item.encrypted_content ?? null,
      }));
    expect(strip(body.output)).toEqual(strip(reference.output));
    expect(body.usage).toMatchObject(reference.usage);
    expect(body.status).toBe(reference.status);
    expect(body.incomplete_details).toEqual(reference.incomplete_details);
  });
}

test("failed.json and the error bodies decode to the errors they say", () => {
  const failed = responsesCodec.decodeResponse(fixtureJson("failed.json"), ctx());
  expect(isRouterError(failed) && failed.code).toBe("upstream_error");
  const status = {
    "error-429-rate-limit.json": 429,
    "error-400-context-length.json": 400,
    "error-500-server.json": 500,
  };
  const decoded = Object.entries(status).map(([file, code]) => {
    const err = responsesCodec.decodeError(code, fixtureText(file), new Headers());
    return [err.code, err.subtype];
  });
  expect(decoded).toEqual([
    ["rate_limit", undefined],
    ["invalid_request", "context_length_exceeded"],
    ["upstream_error", undefined],
  ]);
});

test("every stream in the folder decodes without a decoder failure", async () => {
  const dir = join(import.meta.dir, "../../fixtures/responses");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sse"))) {
    const events = await decodeStream(fixtureText(file));
    const error = events.find((e) => e.type === "error");
    expect([file, error?.type === "error" ? error.error.code : "none"]).not.toEqual([
      file,
      "internal",
    ]);
    expect(events[0]?.type).toBe("start");
  }
});
