#!/usr/bin/env bun
/**
 * What keys and their limits cost a request in-process (src/teams), in µs per call, measured side
 * by side in one run (batches of each row alternate, so a noisy machine weighs on all alike):
 *   admission    Teams.admit + Ticket.settle for a router with no keys (the baseline: spend is
 *                still recorded, as the admin's) and with 100 keys each with rpm and tpm (goal:
 *                ≤ 10 µs more per request), and with every limit (rpm, tpm, max_parallel, budget)
 *   identify     one presented credential among 10 keys and among 10,000 (goal: the same cost)
 *   sha256       the hash identify pays per credential: node:crypto against Bun's own
 * Each row is the median of several timed batches, after a warm-up.
 *
 *   bun bench/teams.ts [--quick] [--json <file>]
 */
import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import type { KeyConfig, ModelConfig } from "../src/config/types";
import type { Usage } from "../src/ir";
import { MemoryStore, Teams, Ticket, type Principal } from "../src/teams";
import { digestOf } from "../src/teams/keys";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1]! : "";
const BATCHES = quick ? 5 : 15;
const PER_BATCH = quick ? 5_000 : 50_000;

interface Row {
  name: string;
  us: number;
  goal?: string;
}

/** Median µs per call of each function, over BATCHES rounds that run one batch of each in turn. */
function measure(fns: Record<string, () => unknown>, perBatch = PER_BATCH): Record<string, number> {
  const names = Object.keys(fns);
  const times = new Map(names.map((n) => [n, [] as number[]]));
  let sink = 0;
  for (let round = -1; round < BATCHES; round++)
    for (const name of names) {
      const fn = fns[name]!;
      const start = Bun.nanoseconds();
      for (let i = 0; i < perBatch; i++) sink += fn() === undefined ? 0 : 1;
      // Round -1 warms every row up and is not kept.
      if (round >= 0) times.get(name)!.push((Bun.nanoseconds() - start) / perBatch / 1000);
    }
  if (sink === 0) throw new Error("nothing measured");
  return Object.fromEntries(
    names.map((n) => [n, times.get(n)!.sort((a, b) => a - b)[BATCHES >> 1]!]),
  );
}

const secret = (i: number) => `sk-team-${i.toString(36).padStart(6, "0")}-bench-secret-value`;
function keys(n: number, limits: Partial<KeyConfig>): KeyConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `team-${i}`,
    digest: digestOf(secret(i)),
    groups: ["sonnet", "gpt-*"],
    ...limits,
  }));
}

const pricing = {
  input: 3,
  output: 15,
  cacheRead: 0.3,
  cacheWrite: 3.75,
  reasoning: 15,
  tiers: [],
};
const models = new Map([["claude", { name: "claude", pricing } as ModelConfig]]);
const usage: Usage = { input: 1200, cacheRead: 30_000, cacheWrite: 500, output: 400 };
const served = { group: "sonnet", model: "claude" };
const ids = Array.from({ length: 1024 }, (_, i) => `req-${i}`);
const estimate = () => 32_000;

/** One request through a Teams: admitted, answered, settled. */
function admitAndSettle({ teams, principals }: Setup): () => unknown {
  let i = 0;
  return () => {
    const p = principals[i % principals.length]!;
    const ticket = teams.admit(p, { id: ids[i++ & 1023]!, estimate });
    if (!(ticket instanceof Ticket)) throw new Error(`refused: ${JSON.stringify(ticket)}`);
    return ticket.settle({ ...served, usage });
  };
}

interface Setup {
  teams: Teams;
  /** The identities requests come as: each key in turn, or the admin. */
  principals: Principal[];
}

function teamsWith(configs: KeyConfig[]): Setup {
  const teams = new Teams({ keys: configs, store: new MemoryStore(), models });
  const secrets = configs.length ? configs.map((_, i) => secret(i)) : ["anyone"];
  const principals = secrets.map((s) => teams.identify([s]) as Principal);
  return { teams, principals };
}

const rows: Row[] = [];
const HIGH = { rpm: 1e9, tpm: 1e15 };
const admission = measure({
  none: admitAndSettle(teamsWith([])),
  rpmTpm: admitAndSettle(teamsWith(keys(100, HIGH))),
  all: admitAndSettle(
    teamsWith(keys(100, { ...HIGH, maxParallel: 1e6, budget: { usd: 1e12, period: "day" } })),
  ),
});
rows.push(
  { name: "admit+settle, no keys", us: admission.none! },
  { name: "admit+settle, 100 keys rpm+tpm", us: admission.rpmTpm! },
  {
    name: "  added by rpm+tpm",
    us: admission.rpmTpm! - admission.none!,
    goal: "≤ 10",
  },
  { name: "admit+settle, 100 keys, all limits", us: admission.all! },
  { name: "  added by all limits", us: admission.all! - admission.none! },
);

function identifier(n: number): () => unknown {
  const { teams } = teamsWith(keys(n, {}));
  // Present 1,000 different configured secrets in turn, so no lookup stays in one cache line.
  const presented = Array.from({ length: 1000 }, (_, i) => [secret((i * 7919) % n)]);
  let i = 0;
  return () => teams.identify(presented[i++ % 1000]!);
}
const identify = measure({ ten: identifier(10), tenThousand: identifier(10_000) });
rows.push(
  { name: "identify among 10 keys", us: identify.ten! },
  {
    name: "identify among 10,000 keys",
    us: identify.tenThousand!,
    goal: `≈ ${identify.ten!.toFixed(2)}`,
  },
);

const credential = secret(42);
const hashes = measure({
  "node:crypto createHash": () => createHash("sha256").update(credential).digest("hex"),
  "Bun.CryptoHasher": () => new Bun.CryptoHasher("sha256").update(credential).digest("hex"),
  "Bun.SHA256.hash (used)": () => Bun.SHA256.hash(credential, "hex"),
});
for (const [name, us] of Object.entries(hashes)) rows.push({ name: `sha256: ${name}`, us });

console.log("in-process teams cost".padEnd(40) + "µs/call".padStart(9) + "   goal");
for (const r of rows) {
  const over = r.goal?.startsWith("≤") && r.us > Number(r.goal.slice(2));
  console.log(
    r.name.padEnd(40) +
      r.us.toFixed(3).padStart(9) +
      (r.goal ? `   ${r.goal}` : "") +
      (over ? "   OVER GOAL" : ""),
  );
}
for (const r of rows) console.log(JSON.stringify({ ...r, name: r.name.trim() }));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ rows }, null, 2));
