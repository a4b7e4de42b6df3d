/**
 * Both ends of the --workers state channel in one process: a worker's IpcStore and the
 * supervisor's IpcStoreHost joined by a fake channel that copies each message the way Bun's does
 * (structured clone, the default) or the way a JSON channel would, and delivers it asynchronously.
 */
import { IpcStore, IpcStoreHost } from "../../src/teams/state/ipc";
import type { AdmitRequest, PeriodWindow, Settlement } from "../../src/teams/types";
import { FakeStore } from "./ipc-fake-store";

export type Copy = "advanced" | "json";
const copy = (how: Copy) => (m: unknown) =>
  how === "json" ? JSON.parse(JSON.stringify(m)) : structuredClone(m);

/** Waits on a condition one event-loop turn at a time (bounded: a broken wiring fails, never hangs). */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

export interface WireOptions {
  how?: Copy;
  failure?: "open" | "closed";
  timeoutMs?: number;
  ledgerTimeoutMs?: number;
  host?: IpcStoreHost;
}

/** A worker's store and a host joined by the fake channel; `world.mute` drops what the worker sends. */
export function wire(opts: WireOptions = {}) {
  const hostStore = new FakeStore();
  const local = new FakeStore();
  const warnings: string[] = [];
  const log = { warn: (m: string) => void warnings.push(m) };
  const host = opts.host ?? new IpcStoreHost(hostStore, log);
  const carry = copy(opts.how ?? "advanced");
  const toHost: unknown[] = [];
  const world = { mute: false, clock: 1_000_000 };
  const peer = host.attach((m) => queueMicrotask(() => store.receive(carry(m))));
  const store = new IpcStore({
    send: (m) => {
      toHost.push(m);
      if (!world.mute) queueMicrotask(() => peer.receive(carry(m)));
    },
    timeoutMs: opts.timeoutMs ?? 5_000,
    ...(opts.ledgerTimeoutMs === undefined ? {} : { ledgerTimeoutMs: opts.ledgerTimeoutMs }),
    failure: opts.failure ?? "open",
    local,
    log,
    now: () => world.clock,
  });
  return { host, hostStore, local, store, peer, warnings, toHost, world };
}

let nextId = 0;
export const req = (extra: Partial<AdmitRequest> = {}): AdmitRequest => ({
  key: "team-a",
  id: `r${++nextId}`,
  now: 1_000_000,
  tokens: 0,
  ...extra,
});
export const settlement = (r: AdmitRequest, extra: Partial<Settlement> = {}): Settlement => ({
  key: r.key,
  id: r.id,
  admittedAt: r.now,
  reserved: r.tokens,
  tokens: 0,
  parallel: r.maxParallel !== undefined,
  ...extra,
});
export const TOTAL: PeriodWindow = { period: "total", id: "total", start: 0, end: Infinity };
export const TOKENS = { input: 10, output: 5, cache_read: 0, cache_write: 0, reasoning: 0 };
