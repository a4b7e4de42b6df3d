import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { ApiType } from "../../src/config/types";
import { startHarness, type Harness } from "../e2e/harness";
import { authHeaders, endpoint, errorShapeProblem, send, withToolSchemas, type Json } from "./kit";

/**
 * Tool schemas a Gemini upstream needs rewritten, through the running router: what the
 * conversion refuses is the client's 400 in its own envelope, naming the tool, and the upstream
 * is never called; a property named like a prototype member reaches the upstream.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const CLIENTS: ApiType[] = ["openai", "anthropic", "responses"];

function post(client: ApiType, schemas: Json[]) {
  const body = withToolSchemas(client, "gemini", schemas);
  // The response schema is the first tool's: leave it out, so the tool is what gets named.
  delete body.response_format;
  delete body.output_config;
  delete body.text;
  return send(h.base + endpoint(client, "gemini"), {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(client) },
    body: JSON.stringify(body),
  });
}

function multiplying(levels: number): Json {
  const $defs: Record<string, Json> = { [`D${levels}`]: { type: "string" } };
  for (let i = 0; i < levels; i++)
    $defs[`D${i}`] = {
      type: "object",
      properties: { a: { $ref: `#/$defs/D${i + 1}` }, b: { $ref: `#/$defs/D${i + 1}` } },
    };
  return { $defs, $ref: "#/$defs/D0" };
}

describe("schemas a Gemini upstream cannot be sent", () => {
  for (const client of CLIENTS) {
    test(`${client} client: a $ref with a bad %-escape is a 400 naming the tool, not a 500`, async () => {
      const o = await post(client, [
        { type: "object", properties: { q: { $ref: "#/$defs/%E0%A4%A" } } },
      ]);
      expect(o.status).toBe(400);
      expect(errorShapeProblem(client, o.status, o.text)).toBeUndefined();
      expect(o.text).toContain('the parameters of tool \\"tool_0\\"');
      expect(h.mocks.gemini.requests).toHaveLength(0);
    });

    test(`${client} client: tools whose $refs multiply past the request's budget are a 400 naming one`, async () => {
      const started = performance.now();
      const o = await post(
        client,
        Array.from({ length: 64 }, () => multiplying(13)),
      );
      expect(performance.now() - started).toBeLessThan(5000);
      expect(o.status).toBe(400);
      expect(errorShapeProblem(client, o.status, o.text)).toBeUndefined();
      expect(o.text).toMatch(
        /the parameters of tool \\"tool_[1-9]\d*\\": more than 50000 schema nodes/,
      );
      expect(h.mocks.gemini.requests).toHaveLength(0);
    });

    test(`${client} client: a property named __proto__ reaches the upstream`, async () => {
      const schema = JSON.parse(
        '{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"string"}},"required":["__proto__","toString"]}',
      ) as Json;
      const o = await post(client, [schema]);
      expect(o.status).toBe(200);
      const [seen] = h.mocks.gemini.requests;
      const sent = JSON.parse(seen!.rawBody).tools[0].functionDeclarations[0].parameters;
      expect(Object.keys(sent.properties)).toEqual(["__proto__", "a"]);
      expect(sent.required).toEqual(["__proto__"]);
    });
  }
});
