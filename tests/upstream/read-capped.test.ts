import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { readCapped, readCappedText } from "../../src/upstream/read-capped";

// 512 MiB of zeros gzip to about 500 KB: the cap must count inflated bytes and stop early.
const BOMB = gzipSync(Buffer.alloc(512 * 1024 * 1024), { level: 9 });
let server: ReturnType<typeof Bun.serve>;
let bombReads = 0;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/bomb")
        return (
          bombReads++,
          new Response(BOMB, {
            headers: { "content-encoding": "gzip", "content-type": "application/json" },
          })
        );
      if (path === "/declared") return new Response("x".repeat(2048));
      return new Response('{"ok":true}');
    },
  });
});
afterAll(() => server.stop(true));

describe("readCapped", () => {
  test("a gzip body that inflates past the cap is refused after reading about the cap, not all of it", async () => {
    const before = process.memoryUsage().rss;
    const res = await fetch(`http://127.0.0.1:${server.port}/bomb`);
    expect(await readCapped(res, 1024 * 1024)).toBe("too_large");
    // Reading all 512 MiB would add hundreds of MB; the cap keeps the growth to a few.
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
    expect(bombReads).toBe(1);
  });

  test("a declared length over the cap is refused before reading", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/declared`);
    expect(await readCapped(res, 1000)).toBe("too_large");
  });

  test("a body within the cap is read whole", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/ok`);
    expect(await readCappedText(res, 1000)).toBe('{"ok":true}');
  });
});
