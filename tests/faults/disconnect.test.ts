import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import net from "node:net";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import type { MockKind } from "../mocks";
import { pollUntil } from "./util";

/**
 * A client that goes away must take the upstream request with it, within a second, whether it
 * leaves before the first byte or mid-stream, on passthrough and on conversion — proven by the
 * mock seeing the abort. (Traps this guards against: a ReadableStream inside a Response that never
 * sees `cancel` when the client disconnects, elysiajs/elysia#1768; a proxied upstream body that
 * keeps being pulled after the client left, oven-sh/bun#35552.) The models here have the default
 * time limits (minutes), so nothing but the client's departure can end the upstream call.
 */

type ClientFormat = "openai" | "anthropic" | "gemini";
interface Route {
  name: string;
  client: ClientFormat;
  group: string;
  /** the model (model_name) the group sends to, and the mock behind it */
  model: string;
  upstream: MockKind;
  /** upstream stream events sent before a stall: enough for real content to reach the client */
  cut: number;
}

const ROUTES: Route[] = [
  {
    name: "passthrough openai",
    client: "openai",
    group: "openai",
    model: "oa",
    upstream: "openai",
    cut: 2,
  },
  // message_start, content_block_start, ping, first text delta
  {
    name: "passthrough anthropic",
    client: "anthropic",
    group: "anthropic",
    model: "an",
    upstream: "anthropic",
    cut: 4,
  },
  {
    name: "passthrough gemini",
    client: "gemini",
    group: "gemini",
    model: "ge",
    upstream: "gemini",
    cut: 2,
  },
  {
    name: "conversion openai→anthropic",
    client: "openai",
    group: "mixed",
    model: "an",
    upstream: "anthropic",
    cut: 4,
  },
  {
    name: "conversion anthropic→gemini",
    client: "anthropic",
    group: "an2ge",
    model: "ge",
    upstream: "gemini",
    cut: 2,
  },
  // The Gemini encoder holds each part back until the next event: role, "echo:", " please" lets "echo:" out.
  {
    name: "conversion gemini→openai",
    client: "gemini",
    group: "ge2oa",
    model: "oa",
    upstream: "openai",
    cut: 3,
  },
];
const MODELS = ["oa", "an", "ge"];
const ABORT_SEEN_MS = 1000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness(`    - name: an2ge
      models: [{ name: ge }]
    - name: ge2oa
      models: [{ name: oa }]`);
});
afterAll(() => h.stop());
beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  for (const m of MODELS) for (let i = 0; i < 8; i++) h.runtime.health.success(m);
});

/** The HTTP request a client of `format` sends for `group`. */
function request(
  r: Route,
  stream: boolean,
): { path: string; headers: Record<string, string>; body: string } {
  const text = "please disconnect";
  if (r.client === "openai") {
    return {
      path: "/v1/chat/completions",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ model: r.group, stream, messages: [{ role: "user", content: text }] }),
    };
  }
  if (r.client === "anthropic") {
    return {
      path: "/v1/messages",
      headers: { "x-api-key": TOKEN, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: r.group,
        max_tokens: 64,
        stream,
        messages: [{ role: "user", content: text }],
      }),
    };
  }
  return {
    path: `/v1beta/models/${r.group}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    headers: { "x-goog-api-key": TOKEN },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
  };
}

function startFetch(r: Route, stream: boolean, signal: AbortSignal): Promise<Response> {
  const q = request(r, stream);
  return fetch(h.base + q.path, {
    method: "POST",
    headers: { "content-type": "application/json", ...q.headers },
    body: q.body,
    signal,
  });
}

/** Resolves with `p`, or rejects once `ms` passed. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/** After the client left: the mock saw the abort within ABORT_SEEN_MS, nothing is in flight, and health learned nothing. */
async function expectUpstreamReleased(r: Route, leftAt: number): Promise<void> {
  const rec = h.mocks[r.upstream].requests[0]!;
  const seen = await pollUntil(() => rec.aborted, ABORT_SEEN_MS + 500, 5);
  const took = performance.now() - leftAt;
  expect({ abortSeenByUpstream: seen }).toEqual({ abortSeenByUpstream: true });
  expect(took).toBeLessThan(ABORT_SEEN_MS);
  await pollUntil(() => MODELS.every((m) => h.runtime.health.inFlight(m) === 0), 1000);
  expect(Object.fromEntries(MODELS.map((m) => [m, h.runtime.health.inFlight(m)]))).toEqual({
    oa: 0,
    an: 0,
    ge: 0,
  });
  // A client leaving is nobody's failure: the model keeps its full weight.
  expect(h.runtime.health.effectiveWeight(r.model, 100)).toBe(100);
  expect(h.mocks[r.upstream].requests).toHaveLength(1); // and nothing was retried elsewhere
}

/** Reads until the first body bytes arrive (bounded). */
async function firstBytes(res: Response): Promise<{ closed: Promise<unknown> }> {
  const reader = res.body!.getReader();
  const first = await bounded(reader.read(), 3000, "first stream bytes");
  expect(first.done).toBe(false);
  expect(first.value!.length).toBeGreaterThan(0);
  return reader;
}

describe("client disconnects (fetch + AbortController)", () => {
  for (const r of ROUTES) {
    test(`${r.name}: mid-stream, upstream stalled → upstream aborted within 1 s`, async () => {
      h.mocks[r.upstream].fault({ kind: "stall", afterChunks: r.cut });
      const ac = new AbortController();
      try {
        const res = await bounded(startFetch(r, true, ac.signal), 3000, "response headers");
        expect(res.status).toBe(200);
        const reader = await firstBytes(res);
        await h.mocks[r.upstream].waitForRequests(1, 2000);
        const leftAt = performance.now();
        ac.abort();
        await reader.closed.catch(() => {});
        await expectUpstreamReleased(r, leftAt);
      } finally {
        ac.abort(); // a failed test must not leave its request running into the next
      }
    });

    test(`${r.name}: mid-stream, upstream still streaming → upstream aborted within 1 s (not drained)`, async () => {
      // Thousands of events paced 1 ms apart by the mock: several seconds of stream if nobody stops it.
      const words = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
      h.mocks[r.upstream].reply({ text: words, chunks: 3000 });
      const ac = new AbortController();
      try {
        const res = await bounded(startFetch(r, true, ac.signal), 3000, "response headers");
        expect(res.status).toBe(200);
        const reader = await firstBytes(res);
        const leftAt = performance.now();
        ac.abort();
        await reader.closed.catch(() => {});
        await expectUpstreamReleased(r, leftAt);
      } finally {
        ac.abort();
      }
    });

    for (const stream of [true, false]) {
      test(`${r.name}: before the first byte (${stream ? "stream" : "non-stream"}) → upstream aborted within 1 s`, async () => {
        h.mocks[r.upstream].fault({ kind: "hang" });
        const ac = new AbortController();
        try {
          const pending = startFetch(r, stream, ac.signal).catch((e: unknown) => e);
          await h.mocks[r.upstream].waitForRequests(1, 2000);
          const leftAt = performance.now();
          ac.abort();
          const outcome = await bounded(pending, 2000, "aborted fetch");
          expect(outcome).toBeInstanceOf(Error);
          await expectUpstreamReleased(r, leftAt);
        } finally {
          ac.abort();
        }
      });
    }
  }
});

/**
 * The same with a raw socket as the client, destroyed without a word: no fetch machinery on the
 * client side that might tell the router more than a closed TCP connection does.
 */
describe("client disconnects (raw socket destroyed)", () => {
  for (const r of ROUTES.filter((x) => x.client === "openai")) {
    for (const when of ["mid-stream", "before the first byte"] as const) {
      test(`${r.name}: ${when}`, async () => {
        h.mocks[r.upstream].fault(
          when === "mid-stream" ? { kind: "stall", afterChunks: r.cut } : { kind: "hang" },
        );
        const q = request(r, true);
        const url = new URL(h.base);
        const socket = net.connect({ host: url.hostname, port: Number(url.port) });
        let received = "";
        const gotBody = new Promise<void>((resolve) => {
          socket.on("data", (d) => {
            received += d.toString("utf8");
            // headers, then at least one SSE event
            if (/\r\n\r\n[\s\S]*data:/.test(received)) resolve();
          });
        });
        socket.on("error", () => {});
        const head = [
          `POST ${q.path} HTTP/1.1`,
          `host: ${url.host}`,
          "content-type: application/json",
          `content-length: ${Buffer.byteLength(q.body)}`,
          ...Object.entries(q.headers).map(([k, v]) => `${k}: ${v}`),
        ];
        try {
          socket.write(head.join("\r\n") + "\r\n\r\n" + q.body);
          await h.mocks[r.upstream].waitForRequests(1, 2000);
          if (when === "mid-stream") {
            await bounded(gotBody, 3000, "first SSE event on the raw socket");
            expect(received).toStartWith("HTTP/1.1 200");
          } else {
            expect(received).toBe("");
          }
          const leftAt = performance.now();
          socket.destroy();
          await expectUpstreamReleased(r, leftAt);
        } finally {
          socket.destroy();
        }
      });
    }
  }
});
