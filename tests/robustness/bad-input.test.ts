import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { ApiType } from "../../src/config/types";
import { loadConfigText } from "../../src/config";
import { createRuntime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { serve, type RunningServer } from "../../src/server/serve";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import {
  authHeaders,
  DELETE,
  endpoint,
  errorShapeProblem,
  fieldVariants,
  FORMATS,
  otherType,
  outcomeProblem,
  pool,
  seedsFor,
  send,
  serverSeeds,
  setOwn,
  withGroup,
  type Json,
  type Outcome,
} from "./kit";

/**
 * Bad input through the running router, for each client format against its passthrough group
 * and every conversion group: whatever arrives, the answer is a 4xx in the client's own error
 * envelope (or, for input that is odd but valid, a normal answer) — never a 5xx, never a hang.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

/** Model names of the harness, to check that nothing stays counted as in flight. */
const MODELS = ["oa", "an", "ge", "re"];

interface Route {
  client: ApiType;
  group: ApiType;
  kind: "passthrough" | "conversion";
}
const ROUTES: Route[] = FORMATS.flatMap((client) =>
  FORMATS.map((group) => ({
    client,
    group,
    kind: client === group ? ("passthrough" as const) : ("conversion" as const),
  })),
);
const label = (r: Route) => `${r.client} client → ${r.group} group (${r.kind})`;

function post(
  r: Route,
  body: NonNullable<RequestInit["body"]>,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  return send(h.base + endpoint(r.client, r.group), {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(r.client), ...headers },
    body,
  });
}

/** A valid request of the route's format with `extra` merged into its top level. */
function validBody(r: Route, extra: Record<string, Json> = {}): Record<string, Json> {
  const body = withGroup(r.client, serverSeeds(r.client, r.group)[0] as Json, r.group) as Record<
    string,
    Json
  >;
  for (const [k, v] of Object.entries(extra)) setOwn(body, k, v);
  return body;
}

/** Asserts a 4xx (a given one, when `status` is set) in the client's error envelope, answered in time. */
function expectClientError(client: ApiType, o: Outcome, status?: number): void {
  expect({ status: o.status, hung: o.hung }).toEqual({
    status: status ?? o.status,
    hung: undefined,
  });
  expect(o.status).toBeGreaterThanOrEqual(400);
  expect(o.status).toBeLessThan(500);
  expect(errorShapeProblem(client, o.status, o.text)).toBeUndefined();
}

const inFlight = () => Object.fromEntries(MODELS.map((m) => [m, h.runtime.health.inFlight(m)]));

/**
 * In-flight counts that did not come back to `before` (a count leaked by a failed request
 * stays for good and skews leastconn). A request's bookkeeping ends just after its answer, so
 * give it a moment first. Returns a description, or undefined when nothing leaked.
 */
async function leakedInFlight(before: Record<string, number>): Promise<string | undefined> {
  const leaked = () => MODELS.filter((m) => h.runtime.health.inFlight(m) !== before[m]);
  // Waits while they settle; a real leak never does, so the bound only decides when to say so.
  for (let i = 0; i < 200 && leaked().length; i++) await Bun.sleep(25);
  return leaked().length
    ? `in-flight counts did not return: before ${JSON.stringify(before)}, after ${JSON.stringify(inFlight())}`
    : undefined;
}

describe("unparseable bodies", () => {
  const MALFORMED = [
    "{",
    "}",
    '{"model":',
    '{"model":"x",}',
    "[1,]",
    "{'a':1}",
    '{"a":1}}',
    '{"a":1} trailing',
    "NaN",
    "undefined",
    '{"a":"\\x41"}',
    '{"a":"unterminated',
    "\u0000",
    '{"a":1,"a"}',
    '{\n\t"a": tru\n}',
  ];
  for (const r of ROUTES) {
    test(`malformed JSON → 400 in the client's format: ${label(r)}`, async () => {
      for (const body of MALFORMED) {
        const o = await post(r, body);
        expectClientError(r.client, o, 400);
      }
    });
  }

  for (const r of ROUTES) {
    const client = r.client;
    test(`JSON that is not an object, and empty bodies → 400: ${label(r)}`, async () => {
      for (const body of ["[]", "null", "0", '"a string"', "true", "[{}]", " ", "\n"])
        expectClientError(client, await post(r, body), 400);
      expectClientError(client, await post(r, ""), 400);
      expectClientError(
        client,
        await send(h.base + endpoint(client, r.group), {
          method: "POST",
          headers: authHeaders(client),
        }),
        400,
      );
    });

    test(`invalid UTF-8 in the body → 400: ${label(r)}`, async () => {
      const valid = new TextEncoder().encode(JSON.stringify(validBody(r, { note: "XX" })));
      const at = new TextDecoder().decode(valid).indexOf("XX");
      const sequences = [
        [0xff],
        [0xfe, 0xff],
        [0xc0, 0xaf],
        [0x80],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
      ];
      for (const bad of sequences) {
        const body = new Uint8Array([...valid.slice(0, at), ...bad, ...valid.slice(at + 2)]);
        const o = await post(r, body);
        expectClientError(client, o, 400);
        expect(o.text).toContain("UTF-8");
      }
    });

    test(`100,000 nested brackets, unclosed or as the whole body → 400: ${label(r)}`, async () => {
      const n = 100_000;
      for (const body of [
        "[".repeat(n),
        "[".repeat(n) + "]".repeat(n),
        '{"a":'.repeat(n) + "1" + "}".repeat(n),
        "{".repeat(n),
      ]) {
        const o = await post(r, body);
        expectClientError(client, o, 400);
        expect(o.ms).toBeLessThan(5_000);
      }
    });
  }
});

describe("deeply nested values inside a valid request", () => {
  // JSON.parse accepts these; whatever the router does next (re-serialise, walk the schema)
  // must not overflow the stack into a 500.
  const deepArray = (n: number) => "[".repeat(n) + "]".repeat(n);
  const deepSchema = (n: number) => '{"type":"array","items":'.repeat(n) + "{}" + "}".repeat(n);

  /** The route's valid body with `raw` JSON spliced in as an extra top-level field or as a tool schema. */
  function deepBody(r: Route, where: "field" | "schema", raw: string): string {
    const marker = '"__DEEP__"';
    const body = validBody(r) as Record<string, any>;
    if (where === "field") setOwn(body, "x_deep", "__DEEP__");
    else if (r.client === "openai") body.tools[0].function.parameters.properties.city = "__DEEP__";
    else if (r.client === "anthropic") body.tools[0].input_schema.properties.city = "__DEEP__";
    else if (r.client === "responses")
      body.tools = [
        {
          type: "function",
          name: "get_weather",
          parameters: { type: "object", properties: { city: "__DEEP__" } },
        },
      ];
    else
      body.tools = [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              parametersJsonSchema: { type: "object", properties: { city: "__DEEP__" } },
            },
          ],
        },
      ];
    return JSON.stringify(body).replace(marker, raw);
  }

  /**
   * A Responses upstream echoes the request's `tools` in its Response object, indented by two
   * spaces per level in a non-streamed answer as api.openai.com sends it: its answer to a schema
   * n levels deep holds about 3n² bytes. 10,000 levels come back as some 300 MB, over
   * max_response_size, and the router's answer is its 502 saying so, in the client's format;
   * 100,000 levels would be some 30 GB that no upstream builds, so that depth is not sent there.
   */
  const echoesSchema = (r: Route, where: "field" | "schema") =>
    r.group === "responses" && where === "schema";
  const overCap = (r: Route, o: Outcome) =>
    o.status === 502 &&
    o.text.includes("larger than max_response_size") &&
    errorShapeProblem(r.client, o.status, o.text) === undefined;

  for (const r of ROUTES) {
    test(`1,000 to 100,000 levels in an extra field and in a tool schema: answered or a 4xx, never a 500, nothing left in flight: ${label(r)}`, async () => {
      const before = inFlight();
      const problems: string[] = [];
      for (const where of ["field", "schema"] as const) {
        const depths = echoesSchema(r, where) ? [1_000, 10_000] : [1_000, 10_000, 100_000];
        for (const depth of depths) {
          const raw = where === "field" ? deepArray(depth) : deepSchema(depth);
          const o = await post(r, deepBody(r, where, raw));
          // Forwarding it (2xx, or the upstream's 4xx) and refusing it (400) are both fine.
          const problem =
            echoesSchema(r, where) && overCap(r, o) ? undefined : outcomeProblem(r.client, o);
          if (problem) problems.push(`${where} depth ${depth}: ${problem}`);
        }
      }
      const leak = await leakedInFlight(before);
      if (leak) problems.push(leak);
      expect(problems).toEqual([]);
    });
  }
});

/** A string with everything outside printable ASCII escaped, for messages. */
const visible = (s: string) =>
  s.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);

describe("client-chosen names that reach the warnings header", () => {
  // Unknown fields and block types are dropped with a warning whose detail header names them.
  // Control characters and characters beyond Latin-1 are not valid in a header value.
  const NAMES = [
    "k\u0000",
    "k\u0001",
    "k\u001b[31m",
    "k\u007f",
    "k\u2028",
    "k𝄞",
    "ké",
    "k\r\nx-injected: 1",
  ];
  for (const r of ROUTES.filter((x) => x.kind === "conversion")) {
    test(`unknown top-level keys with control or non-Latin-1 characters: answered normally, headers well-formed: ${label(r)}`, async () => {
      const problems: string[] = [];
      for (const name of NAMES) {
        const o = await post(r, JSON.stringify(validBody(r, { [name]: 1 })));
        const problem =
          outcomeProblem(r.client, o) ??
          (o.headers.has("x-injected") ? "header injected" : undefined);
        if (problem) problems.push(`${visible(name)}: ${problem.slice(0, 160)}`);
      }
      expect(problems).toEqual([]);
    });
  }

  test("an unknown Anthropic content block type with a control character is dropped like any other", async () => {
    const problems: string[] = [];
    for (const group of ["openai", "gemini"] as const) {
      const r: Route = { client: "anthropic", group, kind: "conversion" };
      for (const type of ["x\u0000", "x\u0001", "x𝄞", "mystery"]) {
        const body = validBody(r) as Record<string, any>;
        body.messages[0].content.push({ type, data: 1 });
        const o = await post(r, JSON.stringify(body));
        const problem = outcomeProblem("anthropic", o);
        if (problem) problems.push(`→${group} ${visible(type)}: ${problem.slice(0, 160)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("content types", () => {
  for (const r of ROUTES) {
    test(`a body labelled as anything but JSON → 415 in the client's format; no label or a charset is fine; form and multipart → 415: ${label(r)}`, async () => {
      const json = JSON.stringify(validBody(r));
      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "text/html; charset=utf-8",
      ]) {
        const o = await post(r, json, { "content-type": type });
        expectClientError(r.client, o, 415);
        expect(o.text).toContain("application/json");
        expect(o.headers.get("connection")).toBe("close");
      }
      for (const type of [
        "",
        "application/json; charset=latin1",
        "APPLICATION/JSON",
        "application/vnd.api+json",
      ]) {
        const o = await post(r, json, { "content-type": type });
        expect({ type, problem: outcomeProblem(r.client, o), status: o.status }).toEqual({
          type,
          problem: undefined,
          status: 200,
        });
      }
      const form = new URLSearchParams({ model: r.group, messages: "hello" }).toString();
      expectClientError(
        r.client,
        await post(r, form, { "content-type": "application/x-www-form-urlencoded" }),
        415,
      );
      const fd = new FormData();
      fd.set("model", r.group);
      fd.set("file", new Blob(["hello"]), "a.txt");
      const multipart = await send(h.base + endpoint(r.client, r.group), {
        method: "POST",
        headers: authHeaders(r.client),
        body: fd,
      });
      expectClientError(r.client, multipart, 415);
      const utf16 = new Uint8Array(Buffer.from(json, "utf16le"));
      expectClientError(
        r.client,
        await post(r, utf16, { "content-type": "application/json; charset=utf-16" }),
        400,
      );
    });
  }
});

describe("huge strings within the limit", () => {
  for (const r of ROUTES.filter(
    (x) =>
      x.kind === "passthrough" ||
      x.group === "anthropic" ||
      (x.client === "anthropic" && x.group === "gemini"),
  )) {
    test(`a 20 MB string in a message is served: ${label(r)}`, async () => {
      const body = validBody(r) as Record<string, any>;
      const huge = "x".repeat(20_000_000);
      if (r.client === "gemini") body.contents[0].parts[0].text = huge;
      else if (r.client === "responses") body.input.at(-1).content = huge;
      else body.messages.at(-1).content = huge;
      const o = await post(r, JSON.stringify(body));
      expect(outcomeProblem(r.client, o)).toBeUndefined();
      expect(o.status).toBe(200);
      expect(o.ms).toBeLessThan(10_000);
    });
  }
});

describe("bodies over max_body_size", () => {
  /** A router with a small configured limit, in front of the harness's mocks. */
  let small: RunningServer;
  const LIMIT = 1024 * 1024;
  beforeAll(() => {
    const yaml = `
server_settings:
  max_body_size: 1MiB
model_list:
${FORMATS.map((f) => `  - model_name: m-${f}\n    llm_params: {api_type: ${f}, model: ${f}-upstream, api_base: "${h.mocks[f].apiBase}", api_key: ${h.mocks[f].apiKey}}`).join("\n")}
router_settings:
  model_groups:
${FORMATS.map((f) => `    - {name: ${f}, models: [{name: m-${f}}]}`).join("\n")}
`;
    const config = loadConfigText(yaml, "limit.yaml", {});
    expect(config.server.maxBodyBytes).toBe(LIMIT);
    small = serve(
      { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
      { runtime: () => createRuntime(config), token: TOKEN, log: silentLogger },
    );
  });
  afterAll(() => small.stop());

  /** A valid request for `group` padded to exactly `size` bytes. */
  function sized(client: ApiType, size: number, group: ApiType = client): Uint8Array {
    const body = withGroup(client, serverSeeds(client, group)[0] as Json, group) as Record<
      string,
      Json
    >;
    setOwn(body, "pad", "");
    const base = JSON.stringify(body).length;
    body.pad = "p".repeat(Math.max(0, size - base));
    return new TextEncoder().encode(JSON.stringify(body));
  }

  /** The same bytes without a Content-Length (chunked), in 64 KiB pieces. */
  function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
    let at = 0;
    return new ReadableStream({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + 65536));
        at += 65536;
      },
    });
  }

  const to = (
    base: string,
    client: ApiType,
    body: NonNullable<RequestInit["body"]>,
    extra: RequestInit = {},
    group: ApiType = client,
  ) =>
    send(base + endpoint(client, group), {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders(client) },
      body,
      ...extra,
    });

  for (const r of ROUTES) {
    test(`with max_body_size 1MiB, exactly 1 MiB passes, 1 MiB + 1 byte is a 413 in the client's format, declared or chunked: ${label(r)}`, async () => {
      const atLimit = await to(
        small.url.origin,
        r.client,
        sized(r.client, LIMIT, r.group),
        {},
        r.group,
      );
      expect(atLimit.status).not.toBe(413);
      expect(outcomeProblem(r.client, atLimit)).toBeUndefined();
      expectClientError(
        r.client,
        await to(small.url.origin, r.client, sized(r.client, LIMIT + 1, r.group), {}, r.group),
        413,
      );
      expectClientError(
        r.client,
        await to(
          small.url.origin,
          r.client,
          chunked(sized(r.client, LIMIT + 1, r.group)),
          { duplex: "half" } as RequestInit,
          r.group,
        ),
        413,
      );
    });
  }

  for (const client of FORMATS) {
    test(`${client}: a body far over max_body_size (3 MiB for a 1 MiB limit; 40 MB for the default 32 MiB) is still a 413 in the client's format`, async () => {
      const big = sized(client, 3 * LIMIT);
      const verdict = (o: Outcome) => {
        const shape =
          o.status === 413
            ? errorShapeProblem(client, o.status, o.text)
            : `status ${o.status} ${o.hung ?? ""}`;
        return shape
          ? `${o.status}, ${o.text === "" ? "empty body" : shape}, headers ${JSON.stringify(Object.fromEntries(o.headers))}`
          : "413 in format";
      };
      const got = {
        "3 MiB, declared": verdict(await to(small.url.origin, client, big)),
        "3 MiB, chunked": verdict(
          await to(small.url.origin, client, chunked(big), { duplex: "half" } as RequestInit),
        ),
        "40 MB, declared, default limit": verdict(
          await to(h.base, client, sized(client, 40_000_000)),
        ),
      };
      expect(got).toEqual({
        "3 MiB, declared": "413 in format",
        "3 MiB, chunked": "413 in format",
        "40 MB, declared, default limit": "413 in format",
      });
    });

    test(`${client}: with the default 32 MiB limit, 32 MiB + 1 byte is a 413 in the client's format, and the server is fine afterwards`, async () => {
      expectClientError(client, await to(h.base, client, sized(client, 32 * LIMIT + 1)), 413);
      expect((await send(h.base + "/health", {})).status).toBe(200);
      expect((await send(small.url.origin + "/health", {})).status).toBe(200);
    });
  }
});

describe("unknown endpoints and methods", () => {
  interface Case {
    client: ApiType;
    method: string;
    path: string;
    status?: number;
  }
  const CASES: Case[] = [
    { client: "openai", method: "POST", path: "/v1/chat/completion", status: 404 },
    { client: "openai", method: "POST", path: "/v1/embeddings", status: 404 },
    { client: "openai", method: "POST", path: "/v1/completions", status: 404 },
    { client: "openai", method: "GET", path: "/v1/chat/completions", status: 405 },
    { client: "openai", method: "PUT", path: "/v1/chat/completions", status: 405 },
    { client: "openai", method: "DELETE", path: "/v1/chat/completions", status: 405 },
    { client: "openai", method: "PATCH", path: "/v1/chat/completions", status: 405 },
    { client: "openai", method: "OPTIONS", path: "/v1/chat/completions", status: 405 },
    { client: "openai", method: "POST", path: "/v1/models", status: 405 },
    { client: "openai", method: "POST", path: "/v2/chat/completions", status: 404 },
    { client: "openai", method: "POST", path: "/v1/chat/completions/../../etc/passwd" },
    // The Responses API's stateful endpoints (retrieve, cancel, compact): the router keeps no
    // responses, so each is a 404 in OpenAI's shape, like every unknown path under /v1/responses/.
    { client: "responses", method: "GET", path: "/v1/responses/resp_123", status: 404 },
    { client: "responses", method: "POST", path: "/v1/responses/resp_123/cancel", status: 404 },
    { client: "responses", method: "POST", path: "/v1/responses/compact", status: 404 },
    { client: "responses", method: "POST", path: "/v1/responses/x/y/z", status: 404 },
    { client: "responses", method: "GET", path: "/v1/responses", status: 405 },
    { client: "responses", method: "DELETE", path: "/v1/responses", status: 405 },
    { client: "responses", method: "GET", path: "/v1/responses/input_tokens", status: 405 },
    { client: "anthropic", method: "POST", path: "/v1/messages/batches", status: 404 },
    { client: "anthropic", method: "POST", path: "/v1/complete", status: 404 },
    { client: "anthropic", method: "GET", path: "/v1/messages", status: 405 },
    { client: "anthropic", method: "PUT", path: "/v1/messages/count_tokens", status: 405 },
    { client: "anthropic", method: "DELETE", path: "/v1/messages", status: 405 },
    { client: "gemini", method: "POST", path: "/v1beta/models/gemini:embedContent", status: 404 },
    { client: "gemini", method: "POST", path: "/v1beta/models/gemini:", status: 404 },
    { client: "gemini", method: "GET", path: "/v1beta/models/gemini:generateContent", status: 405 },
    {
      client: "gemini",
      method: "PUT",
      path: "/v1beta/models/gemini:streamGenerateContent",
      status: 405,
    },
    {
      client: "gemini",
      method: "POST",
      path: "/v1beta/models/no-such-group:generateContent",
      status: 404,
    },
    {
      client: "gemini",
      method: "POST",
      path: "/v1beta/tunedModels/x:generateContent",
      status: 404,
    },
    { client: "gemini", method: "POST", path: "/v1beta/models/:generateContent" },
    { client: "gemini", method: "POST", path: "/v1beta/models/gemini" },
    // Bad percent-encoding in the group part of the path.
    { client: "gemini", method: "POST", path: "/v1beta/models/%E0%A4%A:generateContent" },
    { client: "gemini", method: "POST", path: "/v1beta/models/%ZZ:generateContent" },
    { client: "gemini", method: "GET", path: "/v1beta/models/%" },
    { client: "gemini", method: "POST", path: "/v1/models/%C0%AF:countTokens" },
  ];
  for (const c of CASES) {
    test(`${c.method} ${c.path} → ${c.status ?? "4xx"} in ${c.client}'s format`, async () => {
      const body =
        c.method === "GET" || c.method === "HEAD"
          ? undefined
          : JSON.stringify(serverSeeds(c.client, "gemini")[0]);
      const o = await send(h.base + c.path, {
        method: c.method,
        headers: { "content-type": "application/json", ...authHeaders(c.client) },
        body,
      });
      expect({ path: c.path, problem: outcomeProblem(c.client, o) }).toEqual({
        path: c.path,
        problem: undefined,
      });
      expectClientError(c.client, o, c.status);
    });
  }

  test("HEAD and OPTIONS on a POST endpoint → 405 (HEAD without a body)", async () => {
    const head = await send(h.base + "/v1/messages", {
      method: "HEAD",
      headers: authHeaders("anthropic"),
    });
    expect({ status: head.status, text: head.text }).toEqual({ status: 405, text: "" });
    const options = await send(h.base + "/v1/messages", {
      method: "OPTIONS",
      headers: authHeaders("anthropic"),
    });
    expectClientError("anthropic", options, 405);
  });

  test("methods fetch() cannot send, over a raw socket: registered ones → 405 in format; unknown tokens are dropped by Bun's parser at once", async () => {
    const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    const request = (method: string) =>
      `${method} /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: ${TOKEN}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`;
    for (const method of ["PROPFIND", "TRACE", "CONNECT", "SEARCH", "PURGE", "MKCOL"]) {
      const { text } = await rawRequest(request(method));
      expect({
        method,
        status: statusOf(text),
        shape: errorShapeProblem("anthropic", 405, text.slice(text.indexOf("\r\n\r\n") + 4)),
      }).toEqual({ method, status: 405, shape: undefined });
    }
    // Bun (uWS) closes the connection without any answer for a method token it does not know:
    // the router never sees the request, so it cannot answer in the client's format. What
    // matters here: it is immediate, and the server stays up.
    for (const method of ["FOO", "get", "G3T"]) {
      const { text, ms, closed } = await rawRequest(request(method));
      const status = statusOf(text);
      expect({
        method,
        outcome:
          closed && ms < 1_000 && (text === "" || (status >= 400 && status < 500))
            ? "refused at once"
            : `${status} after ${Math.round(ms)} ms, closed=${closed}`,
      }).toEqual({ method, outcome: "refused at once" });
    }
    // Malformed HTTP is Bun's own bare 400/431, before any routing.
    for (const bad of [
      "\u0000\u0001garbage\r\n\r\n",
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: abc\r\n\r\n",
      `GET /health HTTP/1.1\r\nHost: x\r\nx-big: ${"a".repeat(100_000)}\r\n\r\n`,
    ]) {
      const { text } = await rawRequest(bad);
      expect([400, 431]).toContain(statusOf(text));
    }
    expect((await send(h.base + "/health", {})).status).toBe(200);
  });
});

/** Sends raw bytes; returns what came back before the server closed (or 3 s passed), and when. */
async function rawRequest(text: string): Promise<{ text: string; ms: number; closed: boolean }> {
  const { connect } = await import("node:net");
  const url = new URL(h.base);
  const start = performance.now();
  return new Promise((resolve) => {
    let got = "";
    const socket = connect(Number(url.port), "127.0.0.1", () => socket.write(text));
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: got, ms: performance.now() - start, closed });
    };
    const timer = setTimeout(() => done(false), 3_000);
    socket.on("data", (d) => (got += d.toString("latin1")));
    socket.on("error", () => done(true));
    socket.on("close", () => done(true));
  });
}

describe("wrong types in every field, through the server", () => {
  // Each field of each seed, in turn: removed, given another JSON type, null, or a prototype
  // member's name. Passthrough forwards many of these to the strict mock, whose own 4xx is the
  // right answer; conversion must refuse them itself. Nothing may be a 5xx.
  for (const client of FORMATS) {
    test(`${client} client: every field of every seed, against the passthrough and every conversion group`, async () => {
      const before = inFlight();
      const jobs: { group: ApiType; what: string; body: Json }[] = [];
      for (const group of FORMATS) {
        const seeds = [...serverSeeds(client, group), seedsFor(client, group, false)[0]!] as Json[];
        seeds.forEach((seed, s) => {
          for (const v of fieldVariants(seed, (cur) => [
            DELETE,
            otherType(cur),
            null,
            "constructor",
          ])) {
            if (client !== "gemini" && v.path === "model") continue; // the group name: another group, not another type
            jobs.push({ group, what: `seed ${s}: ${v.path} = ${v.label}`, body: v.body });
          }
        });
      }
      const problems: string[] = [];
      const statuses = new Map<number, number>();
      await pool(jobs, 8, async (j) => {
        const o = await post(
          { client, group: j.group, kind: "conversion" },
          JSON.stringify(j.body),
        );
        statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
        const p = outcomeProblem(client, o);
        if (p) problems.push(`${client}→${j.group} ${j.what}: ${p}`);
      });
      expect(jobs.length).toBeGreaterThan(1500);
      expect(problems.slice(0, 20)).toEqual([]);
      // Both outcomes occur: the walk reaches fields that matter and fields that do not.
      expect(statuses.get(200) ?? 0).toBeGreaterThan(100);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
      expect(await leakedInFlight(before)).toBeUndefined();
    }, 60_000);
  }

  test("an Anthropic enum word that names an Object.prototype member is treated like any unknown word", async () => {
    // tool_choice.type and output_config.effort are looked up in plain-object tables.
    const differences: string[] = [];
    for (const group of ["openai", "gemini"] as const) {
      const r: Route = { client: "anthropic", group, kind: "conversion" };
      for (const [field, make] of [
        ["tool_choice.type", (w: string) => ({ tool_choice: { type: w } })],
        ["output_config.effort", (w: string) => ({ output_config: { effort: w } })],
      ] as const) {
        const unknown = await post(
          r,
          JSON.stringify(validBody(r, make("bogus") as Record<string, Json>)),
        );
        for (const word of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
          const o = await post(r, JSON.stringify(validBody(r, make(word) as Record<string, Json>)));
          const sameStatus = o.status === unknown.status;
          const sameWarnings =
            o.headers.get("x-llm-router-warnings") === unknown.headers.get("x-llm-router-warnings");
          if (!sameStatus || !sameWarnings) {
            differences.push(
              `→${group} ${field}="${word}": ${o.status} (warnings ${o.headers.get("x-llm-router-warnings")}) ${o.text.slice(0, 120)} — but "bogus" gets ${unknown.status} (warnings ${unknown.headers.get("x-llm-router-warnings")})`,
            );
          }
        }
      }
    }
    expect(differences).toEqual([]);
  });
});
