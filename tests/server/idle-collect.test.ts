import { expect, test } from "bun:test";
import { collectWhenIdle } from "../../src/server/idle-collect";

const MB = 1024 * 1024;

/**
 * Waits for what the collector does on its own ticks. A fixed sleep would count on enough ticks
 * fitting in it, which a loaded machine does not promise; the bound only gives up on it.
 */
async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  for (const started = performance.now(); !cond(); await Bun.sleep(5)) {
    if (performance.now() - started > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

/** Drives the collector by hand: a fake server, a fake RSS and a count of collections. */
function rig() {
  const server = { pendingRequests: 0 };
  let rss = 100 * MB;
  let collections = 0;
  const stop = collectWhenIdle(server, {
    tickMs: 5,
    growthBytes: 16 * MB,
    rss: () => rss,
    collect: () => {
      collections++;
      rss = 105 * MB; // what a full collection gives back
    },
  });
  return {
    server,
    grow: (mb: number) => void (rss += mb * MB),
    collections: () => collections,
    stop,
  };
}

test("a server that grew and has gone quiet is collected once; busy or small growth is left alone", async () => {
  const r = rig();
  try {
    r.server.pendingRequests = 3;
    r.grow(40);
    await Bun.sleep(60);
    expect(r.collections()).toBe(0); // requests in flight: never while anyone waits

    r.server.pendingRequests = 0;
    await until("a collection", () => r.collections() === 1);
    await Bun.sleep(60);
    expect(r.collections()).toBe(1); // nothing grew since: no second collection

    r.grow(10); // 115 MB: below the 16 MB step over the 105 MB left by the last one
    await Bun.sleep(60);
    expect(r.collections()).toBe(1);
    r.grow(10);
    await until("a second collection", () => r.collections() === 2);
  } finally {
    r.stop();
  }
});

test("stopped, it collects nothing", async () => {
  const r = rig();
  r.stop();
  r.grow(100);
  await Bun.sleep(40);
  expect(r.collections()).toBe(0);
});
