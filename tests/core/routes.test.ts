import { describe, expect, test } from "bun:test";
import { matchRoute } from "../../src/core/routes";

const route = (method: string, path: string, headers: Record<string, string> = {}) =>
  matchRoute(method, new URL(`http://router${path}`), new Headers(headers));

const formatOf = (r: ReturnType<typeof route>) => ("format" in r ? r.format.id : undefined);

describe("which format answers a path several formats share, or none serves", () => {
  test("a /v1beta/ path is Gemini's whatever key header it carries", () => {
    expect(formatOf(route("GET", "/v1beta/models", { "x-api-key": "k" }))).toBe("gemini");
    expect(formatOf(route("GET", "/v1beta/models/g", { "anthropic-version": "x" }))).toBe("gemini");
    expect(formatOf(route("GET", "/v1beta/nothing", { "x-api-key": "k" }))).toBe("gemini");
  });

  test("a /v1/messages path is Anthropic's whatever key header it carries", () => {
    expect(formatOf(route("GET", "/v1/messages/x", { "x-goog-api-key": "k" }))).toBe("anthropic");
  });

  test("on a shared path the client's headers decide, and OpenAI's shape is the fallback", () => {
    expect(formatOf(route("GET", "/v1/models", { "x-goog-api-key": "k" }))).toBe("gemini");
    expect(formatOf(route("GET", "/v1/models", { "anthropic-version": "x" }))).toBe("anthropic");
    expect(formatOf(route("GET", "/v1/models", { authorization: "Bearer k" }))).toBe("openai");
  });

  test("calls go to the format whose route matches; the wrong method is a 405", () => {
    const call = route("POST", "/v1beta/models/g:streamGenerateContent?alt=sse");
    expect(call).toMatchObject({
      kind: "call",
      op: "generate",
      group: "g",
      stream: true,
      sse: true,
    });
    expect(route("GET", "/v1/chat/completions")).toMatchObject({ kind: "unknown", status: 405 });
    expect(route("POST", "/v1beta/models/g:nothing")).toMatchObject({
      kind: "unknown",
      status: 404,
    });
  });

  test("listings and lookups: each format's own spelling of a model id, 405 on a write, 404 on a bad escape", () => {
    const gemini = { "x-goog-api-key": "k" };
    expect(route("GET", "/v1/models/models%2Fg", gemini)).toMatchObject({
      kind: "models",
      id: "g",
    });
    expect(route("GET", "/v1beta/models/g", gemini)).toMatchObject({ kind: "models", id: "g" });
    expect(route("GET", "/v1/models/g")).toMatchObject({ kind: "models", id: "g" });
    expect(route("GET", "/models")).toMatchObject({ kind: "models" });
    expect(formatOf(route("GET", "/models"))).toBe("openai");
    expect(route("POST", "/v1/models")).toMatchObject({ kind: "unknown", status: 405 });
    expect(route("GET", "/v1beta/models/%ZZ")).toMatchObject({ kind: "unknown", status: 404 });
    expect(route("GET", "/v1/modelsx")).toMatchObject({ kind: "unknown", status: 404 });
  });
});
