import Anthropic from "@anthropic-ai/sdk";
import type { Server, Socket, TCPSocketListener } from "bun";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { RecordedRequest } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * Images given by URL. Gemini reads only inline data, so the router downloads them (bounded in
 * size and time) and a failed download is the client's 400; Anthropic fetches URLs itself, so
 * there the URL must pass through untouched and the router must not download anything.
 *
 * Downloads refuse loopback by default, so this router lets 127.0.0.1 in (allow_hosts); the
 * limits, addresses, redirects and timeouts themselves are tested in tests/upstream/media/.
 */

// 1×1 transparent PNG.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
// Far above the router's 20 MiB download limit; the server never sends that much.
const HUGE = 200 * 1024 * 1024;

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;
let images: Server<undefined>;
let liar: TCPSocketListener<undefined>;
const liarSockets = new Set<Socket<undefined>>();
const hits: string[] = [];
let imageBase: string;
let liarUrl: string;

beforeAll(async () => {
  // A group of two Gemini models, to see failover reuse the first attempt's downloads. The
  // server_settings block rides at the end of the groups text, back at the top level.
  h = await startHarness(
    `    - name: gemini-pair
      models: [{ name: ge }, { name: ge-2 }]
server_settings:
  media:
    allow_hosts: [127.0.0.1]`,
    (m) => `  - model_name: ge-2
    llm_params: { api_type: gemini, model: gemini-upstream, api_base: "${m.gemini.apiBase}", api_key: ${m.gemini.apiKey} }`,
  );
  openai = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.base, apiKey: TOKEN, maxRetries: 0 });
  images = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      hits.push(path);
      if (path === "/cat.png")
        return new Response(Buffer.from(PNG, "base64"), {
          headers: { "content-type": "image/png" },
        });
      return new Response("no such image", { status: 404 });
    },
  });
  imageBase = `http://127.0.0.1:${images.port}`;
  // Bun.serve sets content-length itself, so a server that declares more than it sends is written by hand.
  liar = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => void liarSockets.add(s),
      close: (s) => void liarSockets.delete(s),
      data(s) {
        s.write(`HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: ${HUGE}\r\n\r\n`);
        s.write(Buffer.from(PNG, "base64"));
      },
    },
  });
  liarUrl = `http://127.0.0.1:${liar.port}/huge.png`;
});
afterAll(async () => {
  for (const s of liarSockets) s.end();
  liar.stop(true);
  await images.stop(true);
  await h.stop();
});
beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  hits.length = 0;
});

const imageMessage = (url: string): OpenAI.ChatCompletionMessageParam[] => [
  {
    role: "user",
    content: [
      { type: "text", text: "what is this" },
      { type: "image_url", image_url: { url } },
    ],
  },
];
const askOpenAI = (group: string, url: string) =>
  openai.chat.completions.create({ model: group, messages: imageMessage(url) });
const streamOpenAI = (group: string, url: string) =>
  openai.chat.completions.create({ model: group, messages: imageMessage(url), stream: true });

const geminiInline = (r: RecordedRequest) =>
  (r.body as any).contents
    .flatMap((c: any) => c.parts)
    .filter((p: any) => p.inlineData)
    .map((p: any) => p.inlineData);
/** The image block an Anthropic request carries. */
const anthropicImage = (r: RecordedRequest) =>
  (r.body as any).messages
    .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
    .find((b: any) => b.type === "image");

describe("remote images, OpenAI client", () => {
  test("→ Gemini: the router downloads the URL and sends the bytes inline", async () => {
    const res = await askOpenAI("gemini", `${imageBase}/cat.png`);
    expect(res.choices[0]!.message.content).toBe("echo: what is this");
    expect(hits).toEqual(["/cat.png"]);
    const seen = h.mocks.gemini.requests[0]!;
    expect(seen.rejected).toBeUndefined();
    expect(geminiInline(seen)).toEqual([{ mimeType: "image/png", data: PNG }]);
    expect(seen.rawBody).not.toContain(imageBase);
  });

  test("→ Gemini, streamed: the same download happens before the stream starts", async () => {
    let text = "";
    for await (const chunk of await streamOpenAI("gemini", `${imageBase}/cat.png`))
      text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("echo: what is this");
    expect(geminiInline(h.mocks.gemini.requests[0]!)).toEqual([
      { mimeType: "image/png", data: PNG },
    ]);
  });

  test("→ Gemini, the URL answers 404: 400 in OpenAI's format naming the media, not why, upstream untouched", async () => {
    const url = `${imageBase}/missing.png`;
    const err = await askOpenAI("gemini", url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.type).toBe("invalid_request_error");
    expect((e.error as { message: string }).message).toBe(`could not download media #1 (${url})`);
    expect(hits).toEqual(["/missing.png"]);
    expect(h.mocks.gemini.requests).toHaveLength(0);
  });

  test("→ Gemini, the URL declares a body over the download limit: the same 400, upstream untouched", async () => {
    const err = await askOpenAI("gemini", liarUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect((e.error as { message: string }).message).toBe(
      `could not download media #1 (${liarUrl})`,
    );
    expect(h.mocks.gemini.requests).toHaveLength(0);
  });

  test("→ Gemini, an address outside allow_hosts: the same 400, and nothing is fetched", async () => {
    const url = `http://127.0.0.2:${images.port}/cat.png`;
    const err = await askOpenAI("gemini", url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(
      ((err as InstanceType<typeof OpenAI.BadRequestError>).error as { message: string }).message,
    ).toBe(`could not download media #1 (${url})`);
    expect(hits).toEqual([]);
    expect(h.mocks.gemini.requests).toHaveLength(0);
  });

  test("→ two Gemini models, the first failing with 500: failover reuses the downloads, one per URL", async () => {
    h.mocks.gemini.fault({ kind: "status", status: 500 });
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "compare" },
          { type: "image_url", image_url: { url: `${imageBase}/cat.png` } },
          { type: "image_url", image_url: { url: `${imageBase}/cat.png?b` } },
        ],
      },
    ];
    const res = await openai.chat.completions
      .create({ model: "gemini-pair", messages })
      .withResponse();
    expect(res.response.headers.get("x-llm-router-attempts")).toBe("2");
    expect(h.mocks.gemini.requests).toHaveLength(2);
    expect(hits).toEqual(["/cat.png", "/cat.png"]);
    expect(geminiInline(h.mocks.gemini.requests[1]!)).toEqual([
      { mimeType: "image/png", data: PNG },
      { mimeType: "image/png", data: PNG },
    ]);
  });

  test("→ Gemini, a YouTube URL: Gemini fetches it itself, so it goes as fileData, never downloaded", async () => {
    const url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    const res = await askOpenAI("gemini", url);
    expect(res.choices[0]!.message.content).toBe("echo: what is this");
    const parts = (h.mocks.gemini.requests[0]!.body as any).contents.flatMap((c: any) => c.parts);
    expect(parts.find((p: any) => p.fileData)).toEqual({ fileData: { fileUri: url } });
  });

  test("→ Anthropic: the URL goes through as a url image source, never downloaded", async () => {
    const url = `${imageBase}/cat.png`;
    const res = await askOpenAI("anthropic", url);
    expect(res.choices[0]!.message.content).toBe("echo: what is this");
    const seen = h.mocks.anthropic.requests[0]!;
    expect(seen.rejected).toBeUndefined();
    expect(anthropicImage(seen)).toEqual({ type: "image", source: { type: "url", url } });
    expect(hits).toEqual([]);
  });

  test("→ Responses: the URL goes through as an input_image URL, never downloaded", async () => {
    const url = `${imageBase}/cat.png`;
    const res = await askOpenAI("responses", url);
    expect(res.choices[0]!.message.content).toBe("echo: what is this");
    const seen = h.mocks.responses.requests[0]!;
    expect(seen.rejected).toBeUndefined();
    expect((seen.body as any).input[0].content[1]).toMatchObject({
      type: "input_image",
      image_url: url,
    });
    expect(hits).toEqual([]);
  });
});

describe("remote images, Responses client", () => {
  const askResponses = (group: string, url: string) =>
    openai.responses.create({
      model: group,
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "what is this" },
            { type: "input_image", image_url: url, detail: "auto" },
          ],
        },
      ],
    });

  test("→ Gemini: the URL is downloaded and inlined", async () => {
    const res = await askResponses("gemini", `${imageBase}/cat.png`);
    expect(res.output_text).toBe("echo: what is this");
    expect(hits).toEqual(["/cat.png"]);
    expect(geminiInline(h.mocks.gemini.requests[0]!)).toEqual([
      { mimeType: "image/png", data: PNG },
    ]);
  });

  test("→ Gemini, the URL answers 404: 400 in OpenAI's format naming the media, upstream untouched", async () => {
    const url = `${imageBase}/gone.png`;
    const err = await askResponses("gemini", url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ error: { message: `could not download media #1 (${url})` } });
    expect(h.mocks.gemini.requests).toHaveLength(0);
  });

  test("→ Anthropic: the URL goes through as a url image source, never downloaded", async () => {
    const url = `${imageBase}/cat.png`;
    expect((await askResponses("anthropic", url)).output_text).toBe("echo: what is this");
    expect(anthropicImage(h.mocks.anthropic.requests[0]!)).toEqual({
      type: "image",
      source: { type: "url", url },
    });
    expect(hits).toEqual([]);
  });
});

describe("remote images, Anthropic client", () => {
  test("→ Gemini: a url image source is downloaded and inlined", async () => {
    const res = await anthropic.messages.create({
      model: "gemini",
      max_tokens: 256,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this" },
            { type: "image", source: { type: "url", url: `${imageBase}/cat.png` } },
          ],
        },
      ],
    });
    expect(res.content[0]).toMatchObject({ type: "text", text: "echo: what is this" });
    expect(hits).toEqual(["/cat.png"]);
    expect(geminiInline(h.mocks.gemini.requests[0]!)).toEqual([
      { mimeType: "image/png", data: PNG },
    ]);
  });

  test("→ Gemini, the URL answers 404: 400 invalid_request_error in Anthropic's format naming the URL", async () => {
    const url = `${imageBase}/gone.png`;
    const err = await anthropic.messages
      .create({
        model: "gemini",
        max_tokens: 256,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url } }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.type).toBe("invalid_request_error");
    expect((e.error as { error: { message: string } }).error.message).toBe(
      `could not download media #1 (${url})`,
    );
    expect(h.mocks.gemini.requests).toHaveLength(0);
  });
});
