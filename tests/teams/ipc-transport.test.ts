/**
 * The state channel between real processes: children started the way the supervisor starts its
 * workers (Bun.spawn with `ipc`) ask one IpcStoreHost in this process. Their admissions meet in
 * one store, so a limit holds across them exactly, and a child that dies frees what it held.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { IpcStoreHost } from "../../src/teams/state/ipc";
import type { Verdict } from "../../src/teams/types";
import { MemoryStore } from "../../src/teams/state/memory";

const CHILD = join(import.meta.dir, "ipc-child.ts");
const started: Subprocess[] = [];

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill();
    await p.exited;
  }
});

/** Starts a child that asks `host` for `admits` admissions with `limits`; resolves with its verdicts. */
function child(host: IpcStoreHost, admits: number, limits: Record<string, number>) {
  let report!: (v: Verdict[]) => void;
  const verdicts = new Promise<Verdict[]>((r) => (report = r));
  const proc = Bun.spawn([process.execPath, CHILD], {
    env: {
      ...process.env,
      LLM_ROUTER_WORKER: "1",
      IPC_ADMITS: String(admits),
      IPC_LIMITS: JSON.stringify(limits),
    },
    stdio: ["ignore", "pipe", "inherit"],
    serialization: "advanced",
    ipc: (msg: { t?: string; verdicts?: Verdict[] }) =>
      msg?.t === "report" ? report(msg.verdicts!) : peer.receive(msg),
  });
  const peer = host.attach((msg) => proc.send(msg));
  void proc.exited.then(() => peer.detach());
  started.push(proc);
  return { proc, verdicts };
}

const log = { warn: (msg: string) => console.error(msg) };

describe("IpcStore against a host in another process", () => {
  test("two children at rpm 10, ten requests each: exactly 10 admitted across both", async () => {
    const host = new IpcStoreHost(new MemoryStore(), log);
    const [a, b] = [child(host, 10, { rpm: 10 }), child(host, 10, { rpm: 10 })];
    const verdicts = [...(await a.verdicts), ...(await b.verdicts)];
    expect(verdicts.filter((v) => v.ok)).toHaveLength(10);
    expect(verdicts.filter((v) => !v.ok && v.limit === "rpm")).toHaveLength(10);
    expect(host.malformed).toBe(0);
  });

  test("a child killed while holding a max_parallel slot frees it", async () => {
    const host = new IpcStoreHost(new MemoryStore(), log);
    const holder = child(host, 1, { maxParallel: 1 });
    expect(await holder.verdicts).toEqual([{ ok: true }]);
    expect(await child(host, 1, { maxParallel: 1 }).verdicts).toEqual([
      { ok: false, limit: "max_parallel", retryAfterMs: 1000 },
    ]);
    holder.proc.kill("SIGKILL");
    await holder.proc.exited;
    expect(await child(host, 1, { maxParallel: 1 }).verdicts).toEqual([{ ok: true }]);
  });

  test("once the channel is closed an admission fails at once, by the failure policy", async () => {
    const host = new IpcStoreHost(new MemoryStore(), log);
    const c = child(host, 0, {});
    expect(await c.verdicts).toEqual([]);
    const closedAt = performance.now();
    c.proc.disconnect();
    expect(await new Response(c.proc.stdout).text()).toBe('{"ok":false,"limit":"unavailable"}\n');
    // The child waits 10 s for an answer on an open channel: this one did not wait for it.
    expect(performance.now() - closedAt).toBeLessThan(5_000);
  });
});
