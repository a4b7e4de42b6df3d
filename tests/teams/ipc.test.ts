/**
 * The --workers state channel, both ends in one process (ipc-kit.ts): admissions, settlements and
 * their failure policy, and the supervisor's side.
 */
import { describe, expect, test } from "bun:test";
import { RouterError } from "../../src/ir/error";
import { IpcStore } from "../../src/teams/state/ipc";
import { FakeStore } from "./ipc-fake-store";
import { req, settlement, TOKENS, TOTAL, until, wire } from "./ipc-kit";

describe("admissions go to the supervisor's store", () => {
  test("rpm 3: three admitted, the fourth refused with the host's verdict", async () => {
    const w = wire();
    const verdicts = await Promise.all(
      Array.from({ length: 4 }, () => w.store.admit(req({ rpm: 3 }))),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(3);
    expect(verdicts[3]).toEqual({ ok: false, limit: "rpm", retryAfterMs: 60_000 });
    expect(w.local.admits).toHaveLength(0);
  });

  for (const how of ["advanced", "json"] as const) {
    test(`Infinity crosses a${how === "json" ? " JSON" : "n advanced"} channel both ways`, async () => {
      const w = wire({ how });
      w.hostStore.fixed = { ok: false, limit: "budget", retryAfterMs: Infinity };
      const r = req({ budget: { usd: 5, window: TOTAL } });
      expect(await w.store.admit(r)).toEqual({
        ok: false,
        limit: "budget",
        retryAfterMs: Infinity,
      });
      expect(w.hostStore.admits[0]!.budget!.window.end).toBe(Infinity);
      const spend = { window: TOTAL, group: "g", model: "m", usd: 0.25, tokens: TOKENS };
      w.store.settle(settlement(r, { tokens: 15, spend }));
      await until(() => w.hostStore.settles.length === 1, "the settlement");
      expect(w.hostStore.settles[0]!.spend).toEqual(spend);
    });
  }

  test("a ledger question is answered from the supervisor's ledger", async () => {
    const w = wire({ how: "json" });
    const entry = { group: "g", model: "m", requests: 2, usd: 0.5, tokens: TOKENS };
    w.hostStore.ledgers.set("month:2026-12", [entry]);
    const ledger = await w.store.ledger("team-a", ["month:2026-12", "month:2026-11"]);
    expect([...ledger]).toEqual([["month:2026-12", [entry]]]);
    expect(w.hostStore.ledgerAsks).toEqual([
      { key: "team-a", ids: ["month:2026-12", "month:2026-11"] },
    ]);
  });
});

describe("a supervisor that does not answer in time", () => {
  test("open: the worker's own store answers, with one warning per minute", async () => {
    const w = wire({ timeoutMs: 10 });
    w.world.mute = true;
    expect(await w.store.admit(req({ rpm: 1 }))).toEqual({ ok: true });
    expect(await w.store.admit(req({ rpm: 1 }))).toMatchObject({ ok: false, limit: "rpm" });
    expect(w.local.admits).toHaveLength(2);
    expect(w.warnings).toHaveLength(1);
    w.world.clock += 60_000;
    await w.store.admit(req({ rpm: 1 }));
    expect(w.warnings).toHaveLength(2);
  });

  test("closed: refused as unavailable; nothing counted locally", async () => {
    const w = wire({ timeoutMs: 10, failure: "closed" });
    w.world.mute = true;
    expect(await w.store.admit(req({ rpm: 5 }))).toEqual({ ok: false, limit: "unavailable" });
    expect(w.local.admits).toHaveLength(0);
    expect(w.warnings).toHaveLength(1);
  });

  test("a channel that throws on send fails at once, not after the timeout", async () => {
    const local = new FakeStore();
    const store = new IpcStore({
      send: () => {
        throw new Error("channel closed");
      },
      timeoutMs: 60_000,
      ledgerTimeoutMs: 60_000,
      failure: "open",
      local,
      log: { warn: () => {} },
    });
    expect(await store.admit(req())).toEqual({ ok: true });
    expect(await store.ledger("team-a", ["total"]).catch((e: unknown) => e)).toBeInstanceOf(
      RouterError,
    );
    expect(() => store.settle(settlement(req()))).not.toThrow();
  });

  test("a request admitted locally settles locally; the supervisor still gets its spend and tokens", async () => {
    const w = wire({ timeoutMs: 10 });
    w.world.mute = true;
    const r = req({ maxParallel: 1, tpm: 1000, tokens: 100 });
    expect(await w.store.admit(r)).toEqual({ ok: true });
    const spend = { window: TOTAL, group: "g", model: "m", usd: 0.1, tokens: TOKENS };
    w.store.settle(settlement(r, { tokens: 15, spend }));
    expect(w.local.settles).toHaveLength(1);
    expect(w.local.inFlight.get("team-a")!.size).toBe(0);
    expect(w.toHost.at(-1)).toMatchObject({
      t: "settle",
      s: { reserved: 0, tokens: 15, parallel: false },
    });
  });

  test("a verdict that comes after the worker gave up gives back what it counted", async () => {
    const w = wire({ timeoutMs: 10 });
    w.hostStore.hold();
    const r = req({ maxParallel: 1, tokens: 500 });
    expect(await w.store.admit(r)).toEqual({ ok: true }); // from the worker's own store
    w.hostStore.release();
    await until(() => w.hostStore.settles.length === 1, "the release");
    expect(w.hostStore.settles[0]).toEqual(
      settlement(r, { reserved: 500, tokens: 0, parallel: true }),
    );
    expect(w.hostStore.inFlight.get("team-a")!.size).toBe(0);
  });
});

describe("the supervisor side", () => {
  test("a worker that exits frees the max_parallel slots its requests held, once", async () => {
    const a = wire();
    const b = wire({ host: a.host });
    const settled = req({ maxParallel: 2 });
    expect(await a.store.admit(settled)).toEqual({ ok: true });
    a.store.settle(settlement(settled));
    expect(await a.store.admit(req({ maxParallel: 2 }))).toEqual({ ok: true });
    expect(await a.store.admit(req({ maxParallel: 2 }))).toEqual({ ok: true });
    expect(await b.store.admit(req({ maxParallel: 2 }))).toMatchObject({ limit: "max_parallel" });
    const before = a.hostStore.settles.length;
    a.peer.detach();
    expect(a.hostStore.settles.length - before).toBe(2);
    for (const s of a.hostStore.settles.slice(before))
      expect(s).toMatchObject({ reserved: 0, tokens: 0, parallel: true });
    expect(await b.store.admit(req({ maxParallel: 2 }))).toEqual({ ok: true });
  });

  test("a worker that exits while its admission is being decided leaves no slot behind", async () => {
    const w = wire({ timeoutMs: 10, failure: "closed" });
    w.hostStore.hold();
    const pending = w.store.admit(req({ maxParallel: 1 }));
    await until(() => w.hostStore.admits.length === 1, "the admission reaching the store");
    w.peer.detach();
    w.hostStore.release();
    await until(() => w.hostStore.settles.length === 1, "the slot freed");
    expect(w.hostStore.inFlight.get("team-a")!.size).toBe(0);
    expect(await pending).toEqual({ ok: false, limit: "unavailable" });
  });

  test("malformed messages are counted and dropped, never thrown", () => {
    const w = wire();
    const good = req({ budget: { usd: 1, window: TOTAL } });
    const bad: unknown[] = [
      null,
      42,
      "admit",
      [],
      { t: "admit" },
      { t: "admit", n: 1.5, req: good },
      { t: "admit", n: 1, req: { ...good, key: 7 } },
      { t: "admit", n: 1, req: { ...good, rpm: "5" } },
      { t: "admit", n: 1, req: { ...good, budget: { usd: 1, window: { id: "total" } } } },
      { t: "settle", s: { key: "team-a" } },
      {
        t: "settle",
        s: { ...settlement(good), spend: { window: TOTAL, group: "g", model: "m", usd: 1 } },
      },
      { t: "ledger", n: 1, key: "team-a", ids: [1] },
      { t: "forget", n: 1 },
      {
        get t(): string {
          throw new Error("hostile getter");
        },
      },
    ];
    for (const m of bad) expect(() => w.peer.receive(m)).not.toThrow();
    expect(w.host.malformed).toBe(bad.length - 1);
    expect(w.warnings).toHaveLength(1); // the getter that threw
    expect(w.hostStore.admits).toHaveLength(0);
    expect(w.hostStore.settles).toHaveLength(0);
  });

  test("a worker drops answers it cannot use and keeps waiting for the right one", async () => {
    const w = wire();
    w.hostStore.hold();
    const pending = w.store.admit(req());
    const n = (w.toHost[0] as { n: number }).n;
    const bad: unknown[] = [
      null,
      { t: "verdict", n: n + 100, verdict: { ok: true } },
      { t: "verdict", n, verdict: { ok: "yes" } },
      { t: "verdict", n, verdict: { ok: false, limit: "rpm" } },
      { t: "ledger", n, entries: [] },
      { t: "ledger", n, entries: [["total", [{ group: "g" }]]] },
    ];
    for (const m of bad) w.store.receive(m);
    expect(w.store.malformed).toBe(bad.length);
    w.hostStore.release();
    expect(await pending).toEqual({ ok: true });
  });

  test("a store that throws is logged; the worker falls back to its policy", async () => {
    const w = wire({ timeoutMs: 10, failure: "closed" });
    w.hostStore.admit = () => {
      throw new Error("disk full");
    };
    expect(await w.store.admit(req())).toEqual({ ok: false, limit: "unavailable" });
    expect(w.warnings).toContain("the key state store failed");
  });

  test("closing the host closes its store", async () => {
    const w = wire();
    await w.host.close();
    expect(w.hostStore.closed).toBe(true);
  });
});
