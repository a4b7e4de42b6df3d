import { describe, expect, test } from "bun:test";
import { draw, hashKey, hashName, rendezvousOrder } from "../../src/balance/rendezvous";

interface Member {
  model: string;
  weight: number;
}
const weight = (m: Member) => m.weight;
const winner = (key: string, members: Member[]) =>
  rendezvousOrder(hashKey(key), members, weight)[0]!.model;
const keys = (n: number, prefix = "session-") => Array.from({ length: n }, (_, i) => prefix + i);

describe("weighted rendezvous hashing", () => {
  test("the same key gives the same order in another process", async () => {
    const members = ["a", "b", "c", "d"].map((model, i) => ({ model, weight: 100 * (i + 1) }));
    const sample = keys(500);
    const here = sample.map((k) =>
      rendezvousOrder(hashKey(k), members, weight)
        .map((m) => m.model)
        .join(""),
    );
    const script = `
      import { hashKey, rendezvousOrder } from ${JSON.stringify(`${import.meta.dir}/../../src/balance/rendezvous.ts`)};
      const members = ${JSON.stringify(members)};
      const out = ${JSON.stringify(sample)}.map((k) => rendezvousOrder(hashKey(k), members, (m) => m.weight).map((m) => m.model).join(""));
      console.log(JSON.stringify(out));`;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe" });
    const there = JSON.parse(await new Response(child.stdout).text());
    expect(await child.exited).toBe(0);
    expect(there).toEqual(here);
    // Not a constant order: the keys really spread.
    expect(new Set(here).size).toBeGreaterThan(12);
  });

  test("draws are uniform in (0, 1) and differ between members", () => {
    const names = ["a", "b"].map(hashName);
    let sum = 0;
    let equal = 0;
    const n = 20_000;
    for (const k of keys(n)) {
      const h = hashKey(k);
      const [x, y] = names.map((name) => draw(h, name));
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(1);
      sum += x!;
      if (x === y) equal++;
    }
    // Mean of n uniforms: standard deviation sqrt(1/12/n) ≈ 0.002; 6 of them cannot flake.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.013);
    expect(equal).toBe(0);
  });

  test("each member wins a share of keys proportional to its weight (chi-square)", () => {
    const members = [
      { model: "small", weight: 1 },
      { model: "medium", weight: 2 },
      { model: "large", weight: 3 },
      { model: "default", weight: 100 },
    ];
    const total = members.reduce((s, m) => s + m.weight, 0);
    const n = 60_000;
    const wins = new Map(members.map((m) => [m.model, 0]));
    for (const k of keys(n)) {
      const w = winner(k, members);
      wins.set(w, wins.get(w)! + 1);
    }
    let chi = 0;
    for (const m of members) {
      const expected = (n * m.weight) / total;
      chi += (wins.get(m.model)! - expected) ** 2 / expected;
    }
    // 3 degrees of freedom: P(chi² > 27.9) ≈ 4e-6. A deterministic hash gives the same value every run.
    expect(chi).toBeLessThan(27.9);
  });

  test("weight 0 never wins while a positive member remains, and comes last", () => {
    const members = [
      { model: "off", weight: 0 },
      { model: "on", weight: 1 },
      { model: "off2", weight: 0 },
    ];
    for (const k of keys(2000)) {
      const order = rendezvousOrder(hashKey(k), members, weight).map((m) => m.model);
      expect(order).toEqual(["on", "off", "off2"]);
    }
  });

  test("a member that goes away moves only its own keys, and they come back with it", () => {
    const all = ["a", "b", "c", "d", "e"].map((model) => ({ model, weight: 100 }));
    const without = all.filter((m) => m.model !== "c");
    const sample = keys(20_000);
    const before = sample.map((k) => winner(k, all));
    const during = sample.map((k) => winner(k, without));
    const after = sample.map((k) => winner(k, all));
    let moved = 0;
    for (let i = 0; i < sample.length; i++) {
      if (before[i] === "c") {
        moved++;
        expect(during[i]).not.toBe("c");
      } else expect(during[i]).toBe(before[i]);
    }
    // About a fifth of the keys were c's; only those moved.
    expect(moved / sample.length).toBeGreaterThan(0.17);
    expect(moved / sample.length).toBeLessThan(0.23);
    expect(after).toEqual(before);
  });

  test("the keys a removed member had spread over the others by weight", () => {
    const all = [
      { model: "a", weight: 100 },
      { model: "b", weight: 100 },
      { model: "c", weight: 200 },
    ];
    const without = all.filter((m) => m.model !== "a");
    const moved = { b: 0, c: 0 } as Record<string, number>;
    for (const k of keys(40_000)) {
      if (winner(k, all) !== "a") continue;
      moved[winner(k, without)]!++;
    }
    const share = moved.c! / (moved.b! + moved.c!);
    expect(share).toBeGreaterThan(0.62);
    expect(share).toBeLessThan(0.71);
  });
});
