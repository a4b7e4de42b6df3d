import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { ServerResponse } from "node:http";
import { BodyBudget } from "../../../src/core/body-budget";
import { RequestMedia } from "../../../src/upstream/media/request-media";
import { irWith, mediaOf, reasonOf, recordingLogger, run, settings, geminiModel } from "./kit";
import {
  bigPng,
  PNG,
  serve,
  startMediaServer,
  type Handler,
  type MediaServer,
} from "./media-server";

/**
 * What one request may make the router do: how many URLs, how many bytes, how long, how many
 * at once, once per URL whatever the attempts, and no longer than the client waits.
 */

const ALLOW = { allowHosts: ["127.0.0.1"] };
const MiB = 1024 * 1024;

let srv: MediaServer;
beforeAll(async () => {
  srv = await startMediaServer();
});
afterAll(() => srv.stop());
beforeEach(() => {
  srv.reset();
  srv.route("/cat.png", serve(PNG, "image/png"));
});

const urls = (n: number, path = "img") =>
  Array.from({ length: n }, (_, i) => `${srv.base}/${path}-${i}.png`);

describe("counts", () => {
  test("200 URLs in one request: a 400 naming the limit, and not one connection", async () => {
    const r = await run(urls(200), ALLOW);
    expect(r.error?.status).toBe(400);
    expect(r.error?.message).toBe(
      "this request has 200 media URLs to download; the router downloads at most 8 per request (server_settings.media.max_urls)",
    );
    expect(srv.connections).toBe(0);
  });

  test("max_urls counts distinct URLs: the same one nine times is one download", async () => {
    const r = await run(Array(9).fill(`${srv.base}/cat.png`), ALLOW);
    expect(r.error).toBeUndefined();
    expect(srv.requests).toHaveLength(1);
    expect(new Set(mediaOf(r.ir).map((p) => p.data)).size).toBe(1);
  });

  test("at most 4 downloads at once, and 4 really run together", async () => {
    const n = 12;
    // Answers are held until no request has come for a while: a client with no bound has sent
    // all 12 by then; this one sends 4, waits, and gets them answered together.
    const QUIET_MS = 500;
    const held: ServerResponse[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gate: Handler = (_req, res) => {
      held.push(res);
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          held.splice(0).forEach((r) => r.writeHead(200, { "content-type": "image/png" }).end(PNG)),
        QUIET_MS,
      );
    };
    for (const u of urls(n)) srv.route(new URL(u).pathname, gate);
    const r = await run(urls(n), { ...ALLOW, maxUrls: n });
    expect(r.error).toBeUndefined();
    expect(srv.requests).toHaveLength(n);
    expect(srv.maxActive).toBe(4);
  });
});

describe("one download per URL for the whole request", () => {
  test("a second attempt (failover) takes the first one's downloads", async () => {
    const media = new RequestMedia(settings(ALLOW), new AbortController().signal);
    const list = [`${srv.base}/cat.png`, `${srv.base}/cat.png?v=2`];
    const first = await run(list, {}, { media });
    const second = await run(list, {}, { media, model: geminiModel({ name: "ge-2" }) });
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(srv.requests).toHaveLength(2);
    expect(mediaOf(second.ir).map((p) => p.data)).toEqual(mediaOf(first.ir).map((p) => p.data));
  });
});

describe("bytes", () => {
  test("40 URLs of 19 MiB each: max_bytes stops the request near 20 MiB, memory stays bounded", async () => {
    const n = 40;
    for (const u of urls(n, "big")) srv.route(new URL(u).pathname, bigPng(19 * MiB));
    const budget = new BodyBudget();
    let peakHeld = 0;
    const watched = {
      reserve: (b: number, l: number) =>
        budget.reserve(b, l) && ((peakHeld = Math.max(peakHeld, budget.inUse)), true),
      release: (b: number) => budget.release(b),
    };
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const r = await run(
      urls(n, "big"),
      { ...ALLOW, maxUrls: n },
      { shared: { budget: watched, limit: 1024 * MiB } },
    );
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    console.log(
      `40 × 19 MiB: ${srv.requests.length} requests, ${(srv.bytesWritten / MiB).toFixed(1)} MiB sent, budget peak ${(peakHeld / MiB).toFixed(1)} MiB, RSS +${((rssPeak - rssBefore) / MiB).toFixed(0)} MiB`,
    );
    expect(r.error?.status).toBe(400);
    expect(reasonOf(r)).toBe(
      `the request's downloads passed ${20 * MiB} bytes (server_settings.media.max_bytes)`,
    );
    // Four at a time, all stopped at the cap: far below 40 × 19 MiB.
    expect(srv.requests.length).toBeLessThanOrEqual(8);
    expect(peakHeld).toBeLessThanOrEqual(20 * MiB);
    expect(srv.bytesWritten).toBeLessThan(128 * MiB); // what socket buffers took in; 40 × 19 MiB unbounded
    expect(rssPeak - rssBefore).toBeLessThan(256 * MiB);
    r.media.release();
    expect(budget.inUse).toBe(0);
  }, 30_000);

  test("a body declaring more than the request has left is refused before it is read", async () => {
    srv.route("/huge.png", bigPng(200 * MiB, true));
    const r = await run([`${srv.base}/huge.png`], ALLOW);
    expect(r.error?.status).toBe(400);
    expect(reasonOf(r)).toBe(
      `declares ${200 * MiB} bytes, more than the ${20 * MiB} left of the request's max_bytes`,
    );
    expect(srv.bytesWritten).toBeLessThan(20 * MiB);
  });

  test("downloaded bytes are held in the shared body budget until the request is over", async () => {
    srv.route("/one.png", bigPng(100_000));
    const budget = new BodyBudget();
    const r = await run([`${srv.base}/one.png`], ALLOW, { shared: { budget, limit: 1024 * MiB } });
    expect(r.error).toBeUndefined();
    expect(budget.inUse).toBe(100_000);
    r.media.release();
    expect(budget.inUse).toBe(0);
  });

  test("a full body budget is a 503 to retry, not the client's fault", async () => {
    srv.route("/one.png", bigPng(100_000));
    const budget = new BodyBudget();
    budget.reserve(990_000, 1_000_000);
    const r = await run([`${srv.base}/one.png`], ALLOW, { shared: { budget, limit: 1_000_000 } });
    expect(r.error?.status).toBe(503);
    expect(r.error?.retryAfter).toBe("1");
    r.media.release();
    expect(budget.inUse).toBe(990_000);
  });
});

describe("time and the client", () => {
  test("the client going away stops the downloads: the connection closes and the answer is 499", async () => {
    srv.route("/slow.png", (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(PNG.subarray(0, 20)); // and never more
    });
    const client = new AbortController();
    const pending = run([`${srv.base}/slow.png`], ALLOW, { signal: client.signal });
    await srv.waitForRequests(1);
    client.abort();
    const r = await pending;
    expect(r.error?.status).toBe(499);
    await srv.waitForClose(0);
  });

  test("the timeout covers all of a request's downloads together, and closes what still runs", async () => {
    srv.route("/hang.png", () => {}); // never answers
    const r = await run([`${srv.base}/cat.png`, `${srv.base}/hang.png`], {
      ...ALLOW,
      timeoutMs: 300,
    });
    expect(r.error?.message).toBe(`could not download media #2 (${srv.base}/hang.png)`);
    expect(reasonOf(r)).toBe("the request's downloads ran out of time (0.3 s)");
    await srv.waitForClose(srv.requests.findIndex((q) => q.path === "/hang.png"));
  });

  test("time between two rounds (an upstream attempt) does not count against the downloads", async () => {
    const media = new RequestMedia(
      settings({ ...ALLOW, timeoutMs: 300 }),
      new AbortController().signal,
    );
    expect((await run([`${srv.base}/cat.png`], {}, { media })).error).toBeUndefined();
    await Bun.sleep(400); // the pause is the subject: longer than the whole download time
    expect(
      (await run([`${srv.base}/cat.png`, `${srv.base}/cat.png?2`], {}, { media })).error,
    ).toBeUndefined();
    expect(srv.requests).toHaveLength(2);
  });

  test("refused, timed out and 404 read the same to the client: no scanner's oracle", async () => {
    srv.route("/hang.png", () => {});
    const shown = async (url: string, over: object) =>
      (await run([url], { timeoutMs: 300, ...over })).error?.message.replace(url, "URL");
    const refused = await shown(`${srv.base}/cat.png`, {});
    const timedOut = await shown(`${srv.base}/hang.png`, ALLOW);
    const missing = await shown(`${srv.base}/nothing.png`, ALLOW);
    const closed = await shown(`http://127.0.0.1:1/cat.png`, ALLOW);
    expect(refused).toBe("could not download media #1 (URL)");
    expect([timedOut, missing, closed]).toEqual([refused, refused, refused]);
  });

  test("after release nothing more is counted or held", async () => {
    const log = recordingLogger();
    const budget = new BodyBudget();
    const media = new RequestMedia(settings(ALLOW), new AbortController().signal, {
      budget,
      limit: 1024 * MiB,
    });
    srv.route("/stream.png", (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(PNG.subarray(0, 20));
    });
    const pending = media.inline(
      irWith([`${srv.base}/stream.png`]),
      () => true,
      geminiModel(),
      log,
      "grp",
    );
    await srv.waitForRequests(1);
    media.release();
    await pending;
    expect(budget.inUse).toBe(0);
  });
});
