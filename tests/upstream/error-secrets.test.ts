/**
 * Upstream error bodies that quote a secret (OpenAI-compatible servers and proxies often echo the
 * key they were sent) reach clients only masked: passthrough and converted, streamed or not,
 * before and after a stream began. Every secret the config holds counts: api keys,
 * rewrite_header values, proxy credentials, and those given from outside the file (the token,
 * `--proxy`). An error body past max_response_size is a 502 and the next model is tried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { loadConfigText } from "../../src/config";
import { createRuntime } from "../../src/core/runtime";
import { findSecrets, proxyCredentials, REDACTED, silentLogger } from "../../src/log";
import { serve, type RunningServer } from "../../src/server/serve";

const KEY = "sk-configured-upstream-key-0123456789";
const OTHER_KEY = "gm-other-models-key-abcdef";
const HEADER_SECRET = "hdr-secret-value-abcdef";
const PROXY_PASSWORD = "model-proxy-pass-42";
const TOKEN = "router-token-error-secrets";
const GLOBAL_PROXY_PASSWORD = "global-proxy-pass-77";
const SECRETS = [KEY, OTHER_KEY, HEADER_SECRET, PROXY_PASSWORD, TOKEN, GLOBAL_PROXY_PASSWORD];
const CAP = 4096;

/** What the upstream answers next: set per test; every api_type is served from the same port. */
let answer: (path: string) => Response = () => new Response("unset", { status: 500 });
let upstream: ReturnType<typeof Bun.serve>;
let router: RunningServer;
let base: string;

const quoting = (s: string) =>
  `bad credentials: ${s}; header ${HEADER_SECRET}; proxy ${PROXY_PASSWORD}; other ${OTHER_KEY}; token ${TOKEN}; --proxy ${GLOBAL_PROXY_PASSWORD}`;
const openaiError = (status = 400) =>
  Response.json(
    { error: { message: quoting(KEY), type: "invalid_request_error", code: "invalid_api_key" } },
    { status },
  );

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => answer(new URL(req.url).pathname),
  });
  const api = `http://127.0.0.1:${upstream.port}`;
  const yaml = `
model_list:
  - model_name: oa
    llm_params:
      api_type: openai
      model: up
      api_base: ${api}/v1
      api_key: ${KEY}
      rewrite_header: {x-custom-auth: "Bearer ${HEADER_SECRET}"}
  - model_name: oa-second
    llm_params: { api_type: openai, model: up2, api_base: ${api}/v1, api_key: ${KEY} }
  - model_name: ge
    llm_params: { api_type: gemini, model: g, api_base: ${api}/v1beta, api_key: ${OTHER_KEY} }
  - model_name: unused-behind-proxy
    llm_params: { api_type: openai, model: x, api_base: ${api}/v1, api_key: none-set, proxy: "http://proxyuser:${PROXY_PASSWORD}@127.0.0.1:9" }
router_settings:
  model_groups:
    - name: oa
      models: [{ name: oa }]
    - name: ge
      models: [{ name: ge }]
    - name: failover
      models: [{ name: oa, weight: 100 }, { name: oa-second, weight: 0 }]
server_settings:
  max_response_size: ${CAP}
`;
  const config = loadConfigText(yaml, "error-secrets.yaml", {});
  const runtime = createRuntime(config, {
    extraSecrets: [TOKEN, ...proxyCredentials(`socks5://me:${GLOBAL_PROXY_PASSWORD}@127.0.0.1:9`)],
  });
  router = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    { runtime: () => runtime, token: TOKEN, log: silentLogger },
  );
  base = router.url.origin;
});

afterAll(async () => {
  await router?.stop(true);
  await upstream?.stop(true);
});

beforeEach(() => {
  answer = () => new Response("unset", { status: 500 });
});

const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const openaiChat = (group: string, stream = false) =>
  fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ model: group, stream, messages: [{ role: "user", content: "hi" }] }),
  });
const anthropicMessages = (group: string, stream = false, path = "/v1/messages") =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { ...auth, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: group,
      stream,
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    }),
  });

/** The answer's text, asserted to hold no secret in any form and at least one marker. */
async function clean(res: Response): Promise<string> {
  const text = await res.text();
  expect(findSecrets([text], SECRETS)).toEqual([]);
  expect(text).toContain(REDACTED);
  return text;
}

const sse = (frames: string[]) =>
  new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe("passthrough: the upstream's own error body, masked, status kept", () => {
  for (const stream of [false, true]) {
    test(`OpenAI client, OpenAI upstream, stream: ${stream}`, async () => {
      answer = () => openaiError(400);
      const res = await openaiChat("oa", stream);
      expect(res.status).toBe(400);
      const text = await clean(res);
      // Only the secrets changed: the body is otherwise the upstream's, byte for byte.
      expect(JSON.parse(text)).toEqual({
        error: {
          message: quoting(REDACTED).replace(
            /(header|proxy|other|token|--proxy) [^;]+/g,
            `$1 ${REDACTED}`,
          ),
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      });
      expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    });
  }

  test("a key quoted JSON-escaped or percent-encoded is masked too", async () => {
    answer = () =>
      new Response(
        `{"error":{"message":"url was https://x/?key=${encodeURIComponent(KEY)} and \\"${KEY}\\""}}`,
        { status: 400, headers: { "content-type": "application/json" } },
      );
    const res = await openaiChat("oa");
    expect(res.status).toBe(400);
    await clean(res);
  });

  test("a body quoting no secret is relayed byte for byte, even when it is not UTF-8", async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    answer = () =>
      new Response(bytes, { status: 400, headers: { "content-type": "application/octet-stream" } });
    const res = await openaiChat("oa");
    expect(res.status).toBe(400);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  test("an error body past max_response_size is a 502 and the next member is tried", async () => {
    let calls = 0;
    answer = () =>
      calls++ === 0
        ? Response.json({ error: { message: "x".repeat(CAP * 4) } }, { status: 500 })
        : Response.json({
            id: "c",
            object: "chat.completion",
            created: 1,
            model: "up2",
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: "second" },
                finish_reason: "stop",
              },
            ],
          });
    const res = await openaiChat("failover");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-llm-router-attempts")).toBe("2");
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message
        .content,
    ).toBe("second");
  });

  test("an error body past max_response_size, with no member left, answers 502", async () => {
    answer = () =>
      Response.json({ error: { message: `${KEY} ${"x".repeat(CAP * 4)}` } }, { status: 400 });
    const res = await openaiChat("oa");
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain("max_response_size");
    expect(findSecrets([text], SECRETS)).toEqual([]);
  });
});

describe("converted: the error message in the client's format, masked", () => {
  for (const stream of [false, true]) {
    test(`Anthropic client, OpenAI upstream error status, stream: ${stream}`, async () => {
      answer = () => openaiError(400);
      const res = await anthropicMessages("oa", stream);
      expect(res.status).toBeGreaterThanOrEqual(400);
      const text = await clean(res);
      expect(JSON.parse(text).type).toBe("error");
    });

    test(`Gemini-format upstream error reaching an OpenAI client, stream: ${stream}`, async () => {
      answer = () =>
        Response.json(
          { error: { code: 400, message: quoting(OTHER_KEY), status: "INVALID_ARGUMENT" } },
          { status: 400 },
        );
      const res = await openaiChat("ge", stream);
      expect(res.status).toBe(400);
      await clean(res);
    });
  }

  test("an error event as the first thing in a stream (before anything reached the client)", async () => {
    answer = () =>
      sse([
        `data: ${JSON.stringify({ error: { message: quoting(KEY), type: "invalid_request_error" } })}\n\n`,
      ]);
    const res = await anthropicMessages("oa", true);
    expect(res.status).toBeGreaterThanOrEqual(400);
    await clean(res);
  });

  test("an in-stream error after the answer began becomes the client's error event, masked", async () => {
    answer = () =>
      sse([
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "partial answer" }),
        `data: ${JSON.stringify({ error: { message: quoting(KEY), type: "server_error" } })}\n\n`,
      ]);
    const res = await anthropicMessages("oa", true);
    expect(res.status).toBe(200);
    const text = await clean(res);
    expect(text).toContain("partial answer");
    expect(text).toContain("event: error");
  });

  test("an error body past max_response_size is a 502 in the client's format", async () => {
    answer = () => Response.json({ error: { message: "x".repeat(CAP * 4) } }, { status: 400 });
    const res = await anthropicMessages("oa");
    expect(res.status).toBe(502);
    expect(((await res.json()) as { type: string }).type).toBe("error");
  });
});

describe("count_tokens to another format", () => {
  test("an upstream count answer past max_response_size is not read; the estimate answers", async () => {
    answer = (path) =>
      path.endsWith(":countTokens")
        ? Response.json({ totalTokens: 42, pad: "x".repeat(CAP * 4) })
        : new Response("no", { status: 404 });
    const res = await anthropicMessages("ge", false, "/v1/messages/count_tokens");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-llm-router-token-count")).toBe("estimate");
    expect(((await res.json()) as { input_tokens: number }).input_tokens).not.toBe(42);
  });

  test("a small upstream count answer is used", async () => {
    answer = (path) =>
      path.endsWith(":countTokens")
        ? Response.json({ totalTokens: 42 })
        : new Response("no", { status: 404 });
    const res = await anthropicMessages("ge", false, "/v1/messages/count_tokens");
    expect(res.headers.get("x-llm-router-token-count")).toBe("upstream");
    expect(((await res.json()) as { input_tokens: number }).input_tokens).toBe(42);
  });
});
