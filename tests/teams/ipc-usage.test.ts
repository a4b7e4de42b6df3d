/**
 * Usage reports under --workers: a ledger question per key, many at once, so it may wait longer
 * than an admission; and a report the supervisor did not answer is refused (503, in the caller's
 * format), never filled in from the worker's own counts.
 */
import { describe, expect, test } from "bun:test";
import { createHandler } from "../../src/core/handle";
import { createRuntime } from "../../src/core/runtime";
import { RouterError } from "../../src/ir/error";
import { silentLogger } from "../../src/log";
import { IpcStore } from "../../src/teams/state/ipc";
import { MemoryStore } from "../../src/teams/state/memory";
import { unreachableConfig } from "../core/unreachable-config";
import { req, TOKENS, wire } from "./ipc-kit";

describe("ledger questions to the supervisor", () => {
  test("a ledger question waits longer than an admission: an answer after the admission timeout still counts", async () => {
    const w = wire({ timeoutMs: 10 });
    const entry = { group: "g", model: "m", requests: 1, usd: 2, tokens: TOKENS };
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    w.hostStore.ledger = async () => (await answered, new Map([["total", [entry]]]));
    const report = w.store.ledger("team-a", ["total"]);
    // An admission the host holds runs out its timeout meanwhile.
    w.hostStore.hold();
    expect(await w.store.admit(req())).toEqual({ ok: true });
    expect(w.local.admits).toHaveLength(1);
    answer();
    expect([...(await report)]).toEqual([["total", [entry]]]);
    expect(w.local.ledgerAsks).toHaveLength(0);
  });

  test("a ledger question not answered refuses the report (503) instead of giving the worker's own counts", async () => {
    const w = wire({ timeoutMs: 10, ledgerTimeoutMs: 20 });
    w.world.mute = true;
    const err = await w.store.ledger("team-a", ["total"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterError);
    expect(err).toMatchObject({ code: "overloaded", status: 503 });
    expect(w.local.ledgerAsks).toHaveLength(0);
    expect(w.warnings).toEqual([
      "the supervisor did not answer a ledger question; refusing the usage report",
    ]);
  });
});

describe("GET /v1/usage when the supervisor does not answer", () => {
  const TOKEN = "admin-token-0123456789";
  const store = new IpcStore({
    send: () => {}, // a supervisor that never answers
    timeoutMs: 10,
    ledgerTimeoutMs: 20,
    failure: "open",
    local: new MemoryStore(),
    log: { warn: () => {} },
  });
  const config = unreachableConfig("test.yaml", {
    maxBodyBytes: 2048,
    maxTotalBodyBytes: 1 << 20,
    bodyTimeoutMs: 30_000,
  });
  const runtime = createRuntime(config, { store });
  const handle = createHandler({ runtime: () => runtime, token: TOKEN, log: silentLogger });
  const usage = (headers: Record<string, string>) =>
    handle(new Request("http://router/v1/usage", { headers }));

  test("OpenAI clients get 503 with an OpenAI error", async () => {
    const res = await usage({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: { message: expect.stringMatching(/usage is unavailable/) },
    });
  });

  test("Anthropic clients get their overloaded error (529, as the format numbers it)", async () => {
    const res = await usage({ "x-api-key": TOKEN, "anthropic-version": "2023-06-01" });
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "overloaded_error", message: expect.stringMatching(/usage is unavailable/) },
    });
  });
});
