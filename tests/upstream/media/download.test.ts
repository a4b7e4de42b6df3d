import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mediaOf, reasonOf, run, tableLookup } from "./kit";
import {
  PNG,
  PNG_BASE64,
  redirect,
  serve,
  startMediaServer,
  type MediaServer,
} from "./media-server";

/**
 * Where downloads may go and what they may bring back, against real servers on loopback: the
 * default refuses loopback itself, so these tests let their servers in by allow_hosts, and a
 * second server on 127.0.0.2 stands for an internal host that stays refused.
 */

const PDF = Buffer.from("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
const ALLOW_SERVER = { allowHosts: ["127.0.0.1"] };

let srv: MediaServer;
let internal: MediaServer;
beforeAll(async () => {
  srv = await startMediaServer();
  internal = await startMediaServer("127.0.0.2");
});
afterAll(async () => {
  await srv.stop();
  await internal.stop();
});
beforeEach(() => {
  srv.reset();
  internal.reset();
  srv.route("/cat.png", serve(PNG, "image/png"));
  internal.route("/secret.png", serve(PNG, "image/png"));
});

describe("addresses", () => {
  test("by default a server on loopback is refused before any connection, with a generic 400", async () => {
    const url = `${srv.base}/cat.png`;
    const r = await run([url]);
    expect(r.error?.status).toBe(400);
    expect(r.error?.message).toBe(`could not download media #1 (${url})`);
    expect(srv.connections).toBe(0);
    expect(reasonOf(r)).toBe("address not allowed: 127.0.0.1 (loopback)");
    expect(r.log[0]).toMatchObject({
      level: "warn",
      fields: { group: "grp", model: "ge", media: 1, url },
    });
  });

  test("allow_hosts lets the server in: the bytes are inlined with the type they showed", async () => {
    const r = await run([`${srv.base}/cat.png`], ALLOW_SERVER);
    expect(r.error).toBeUndefined();
    expect(mediaOf(r.ir)).toEqual([
      { type: "image", data: PNG_BASE64, mime: "image/png", url: undefined },
    ]);
    expect(srv.requests).toEqual([{ path: "/cat.png", host: `127.0.0.1:${srv.port}` }]);
  });

  test("allow_private lets every internal address in", async () => {
    const r = await run([`${srv.base}/cat.png`, `${internal.base}/secret.png`], {
      allowPrivate: true,
    });
    expect(r.error).toBeUndefined();
    expect(internal.requests).toHaveLength(1);
  });

  test("a name is resolved once, and fetch connects to that address: the name itself is in no DNS", async () => {
    const lookup = tableLookup({ "media.invalid": "127.0.0.1" });
    const r = await run([`http://media.invalid:${srv.port}/cat.png`], ALLOW_SERVER, { lookup });
    expect(r.error).toBeUndefined();
    expect(lookup.calls).toEqual(["media.invalid"]);
    // The server still learns the name it was asked for.
    expect(srv.requests).toEqual([{ path: "/cat.png", host: `media.invalid:${srv.port}` }]);
  });

  test("a name resolving to an address outside allow_hosts is refused unconnected", async () => {
    const lookup = tableLookup({ "rebound.invalid": "127.0.0.2" });
    const r = await run([`http://rebound.invalid:${internal.port}/secret.png`], ALLOW_SERVER, {
      lookup,
    });
    expect(r.error?.status).toBe(400);
    expect(internal.connections).toBe(0);
    expect(reasonOf(r)).toBe(
      "rebound.invalid resolves to an address not allowed: 127.0.0.2 (loopback)",
    );
  });

  test("credentials in the URL are refused", async () => {
    const r = await run([`http://user:pw@127.0.0.1:${srv.port}/cat.png`], ALLOW_SERVER);
    expect(r.error?.message).toStartWith("could not download media #1 (");
    expect(srv.connections).toBe(0);
  });
});

describe("redirects", () => {
  test("followed by hand, relative ones against the URL as named, up to three", async () => {
    const lookup = tableLookup({ "media.invalid": "127.0.0.1" });
    srv.route("/r1", redirect(`http://media.invalid:${srv.port}/r2`, 301));
    srv.route("/r2", redirect("/r3", 307));
    srv.route("/r3", redirect("cat.png", 308));
    const r = await run([`${srv.base}/r1`], ALLOW_SERVER, { lookup });
    expect(r.error).toBeUndefined();
    expect(srv.requests.map((q) => `${q.host} ${q.path}`)).toEqual([
      `127.0.0.1:${srv.port} /r1`,
      `media.invalid:${srv.port} /r2`,
      `media.invalid:${srv.port} /r3`,
      `media.invalid:${srv.port} /cat.png`,
    ]);
    expect(mediaOf(r.ir)[0]!.data).toBe(PNG_BASE64);
  });

  test("a fourth redirect is refused, and its target never requested", async () => {
    for (const [from, to] of [
      ["/s1", "/s2"],
      ["/s2", "/s3"],
      ["/s3", "/s4"],
      ["/s4", "/cat.png"],
    ])
      srv.route(from!, redirect(to!));
    const r = await run([`${srv.base}/s1`], ALLOW_SERVER);
    expect(r.error?.status).toBe(400);
    expect(srv.requests.map((q) => q.path)).toEqual(["/s1", "/s2", "/s3", "/s4"]);
    expect(reasonOf(r)).toBe("more than 3 redirects");
  });

  test("a redirect from an allowed host to a refused address is refused unconnected", async () => {
    srv.route("/away", redirect(`${internal.base}/secret.png`));
    const r = await run([`${srv.base}/away`], ALLOW_SERVER);
    expect(r.error?.status).toBe(400);
    expect(internal.connections).toBe(0);
    expect(reasonOf(r)).toBe("address not allowed: 127.0.0.2 (loopback)");
  });

  test("a redirect to a name that resolves inside is checked again, after the first hop's lookup", async () => {
    const lookup = tableLookup({ "public.invalid": "127.0.0.1", "inside.invalid": "127.0.0.2" });
    srv.route("/away", redirect(`http://inside.invalid:${internal.port}/secret.png`));
    const r = await run([`http://public.invalid:${srv.port}/away`], ALLOW_SERVER, { lookup });
    expect(lookup.calls).toEqual(["public.invalid", "inside.invalid"]);
    expect(internal.connections).toBe(0);
    expect(reasonOf(r)).toStartWith("inside.invalid resolves to an address not allowed");
  });

  test.each([
    ["file:///etc/passwd"],
    ["ftp://127.0.0.1/cat.png"],
    ["gopher://127.0.0.1:6379/_INFO"],
  ])("a redirect to %s is refused", async (location) => {
    srv.route("/away", redirect(location));
    const r = await run([`${srv.base}/away`], ALLOW_SERVER);
    expect(r.error?.status).toBe(400);
    expect(reasonOf(r)).toMatch(/^scheme \w+: is not downloaded$/);
  });
});

describe("content", () => {
  test.each([
    ["an HTML page", "<!doctype html><html><body>admin</body></html>", "text/html; charset=utf-8"],
    ["a JSON document", '{"AccessKeyId":"ASIA...","SecretAccessKey":"..."}', "application/json"],
    ["JSON served as image/png", '{"AccessKeyId":"ASIA...","SecretAccessKey":"..."}', "image/png"],
    ["HTML served as image/png", "<html><body>internal dashboard</body></html>", "image/png"],
    ["a PDF served as image/png", PDF, "image/png"],
    ["plain text", "just some text that is long enough", "text/plain"],
    ["a PNG served as text/html", PNG, "text/html"],
  ])("%s is refused, and nothing reaches the model", async (_what, body, type) => {
    srv.route("/thing", serve(body, type));
    const r = await run([`${srv.base}/thing`], ALLOW_SERVER);
    expect(r.error?.message).toBe(`could not download media #1 (${srv.base}/thing)`);
    expect(mediaOf(r.ir)[0]!.data).toBeUndefined();
  });

  test.each([
    ["a PNG served as octet-stream", PNG, "application/octet-stream", "image/png"],
    ["a PNG served with no type", PNG, "", "image/png"],
    ["a PNG served as image/jpeg", PNG, "image/jpeg", "image/png"],
    ["a PDF", PDF, "application/pdf", "application/pdf"],
  ])("%s is accepted under the type its bytes show", async (_what, body, type, mime) => {
    srv.route(
      "/thing",
      (_req, res) => void res.writeHead(200, type ? { "content-type": type } : {}).end(body),
    );
    const r = await run([`${srv.base}/thing`], ALLOW_SERVER);
    expect(r.error).toBeUndefined();
    expect(mediaOf(r.ir)[0]!.mime).toBe(mime);
  });

  test("an error status is refused with the same generic message", async () => {
    srv.route(
      "/gone",
      (_req, res) => void res.writeHead(500, { "content-type": "image/png" }).end(PNG),
    );
    const r = await run([`${srv.base}/gone`], ALLOW_SERVER);
    expect(r.error?.message).toBe(`could not download media #1 (${srv.base}/gone)`);
    expect(reasonOf(r)).toBe("HTTP 500");
  });
});

describe("numbering and clipping", () => {
  test("N counts the request's media URLs in order; a long URL is clipped to 100 characters", async () => {
    const long = `${srv.base}/missing-${"x".repeat(300)}.png`;
    const r = await run([`${srv.base}/cat.png`, long], ALLOW_SERVER);
    expect(r.error?.message).toBe(`could not download media #2 (${long.slice(0, 100)}…)`);
  });

  test("with downloads turned off, a URL the target cannot take is a 400 naming it, and nothing connects", async () => {
    const r = await run([`${srv.base}/cat.png`], { ...ALLOW_SERVER, download: false });
    expect(r.error?.status).toBe(400);
    expect(r.error?.message).toBe(
      `media #1 (${srv.base}/cat.png) must be downloaded for this model, and the router's media downloads are turned off (server_settings.media.download)`,
    );
    expect(srv.connections).toBe(0);
  });
});

describe("failures inside the download", () => {
  test("a lookup that throws outright is that download's failure, not the request's crash", async () => {
    const throwing = () => {
      throw new Error("resolver exploded");
    };
    const r = await run(["http://media.invalid/cat.png"], ALLOW_SERVER, { lookup: throwing });
    expect(r.error?.message).toBe("could not download media #1 (http://media.invalid/cat.png)");
    expect(reasonOf(r)).toBe("failed: resolver exploded");
  });
});
