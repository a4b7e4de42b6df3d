import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { KeyConfig } from "../../src/config/types";
import { RouterError } from "../../src/ir";
import { digestOf, KeyTable, type Principal } from "../../src/teams/keys";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const key = (name: string, secret: string, extra: Partial<KeyConfig> = {}): KeyConfig => ({
  name,
  digest: sha(secret),
  ...extra,
});
const principal = (v: Principal | RouterError): Principal => {
  if (v instanceof RouterError) throw new Error(`refused: ${v.message}`);
  return v;
};

describe("KeyTable", () => {
  const table = new KeyTable(
    [
      key("team-a", "secret-a", { groups: ["sonnet", "gpt-*", "o?-mini", "a.b", "v1.?(x)"] }),
      key("team-b", "secret-b"),
      key("old", "secret-old", { expiresAt: Date.UTC(2026, 0, 1) }),
      key("late", "secret-late", { expiresAt: Date.UTC(2026, 0, 1, 12, 30) }),
    ],
    "router-token",
  );

  test("digests are sha256 in lower-case hex, as the config holds them", () => {
    expect(digestOf("secret-a")).toBe(sha("secret-a"));
  });

  test("a key's secret names the key; the token names the admin", () => {
    expect(principal(table.identify(["secret-a"])).name).toBe("team-a");
    expect(principal(table.identify(["secret-a"])).admin).toBe(false);
    expect(principal(table.identify(["secret-a"])).key?.name).toBe("team-a");
    const admin = principal(table.identify(["router-token"]));
    expect([admin.name, admin.admin, admin.key]).toEqual(["admin", true, undefined]);
    expect(table.open).toBe(false);
  });

  test("the first credential that matches wins; unknown and empty ones are passed over", () => {
    expect(principal(table.identify(["", "nope", "secret-b", "secret-a"])).name).toBe("team-b");
    expect(principal(table.identify(["secret-a", "router-token"])).name).toBe("team-a");
  });

  test("no matching credential: 401 that says so and nothing else", () => {
    for (const creds of [[], ["nope"], ["secret-a "]]) {
      const err = table.identify(creds);
      expect(err).toBeInstanceOf(RouterError);
      expect(err).toMatchObject({
        code: "authentication",
        status: 401,
        message: "invalid or missing API key for this router",
      });
    }
  });

  test("an expired key is refused from its expiry on, naming it and the date", () => {
    const at = Date.UTC(2026, 0, 1);
    expect(principal(table.identify(["secret-old"], at - 1)).name).toBe("old");
    expect(table.identify(["secret-old"], at)).toMatchObject({
      code: "authentication",
      message: 'key "old" expired on 2026-01-01',
    });
    expect(table.identify(["secret-late"], at + 86_400_000)).toMatchObject({
      message: 'key "late" expired on 2026-01-01T12:30:00.000Z',
    });
  });

  test("groups: names and globs (* and ?) match whole names only; no groups means every group", () => {
    const a = principal(table.identify(["secret-a"]));
    const allowed = ["sonnet", "gpt-4o", "gpt-", "o3-mini", "a.b", "v1.5(x)"];
    const refused = [
      "sonnet-2",
      "xsonnet",
      "gpt",
      "o33-mini",
      "o-mini",
      "axb",
      "opus",
      "v1x5(x)",
      "v1.5x",
    ];
    for (const g of allowed) expect([g, a.allows(g)]).toEqual([g, true]);
    for (const g of refused) expect([g, a.allows(g)]).toEqual([g, false]);
    // The cached answer is the same answer.
    for (const g of [...allowed, ...refused]) expect(a.allows(g)).toBe(allowed.includes(g));
    expect(principal(table.identify(["secret-b"])).allows("anything")).toBe(true);
    expect(principal(table.identify(["router-token"])).allows("anything")).toBe(true);
  });

  test("a key whose secret is the token's does not take the admin's place", () => {
    const t = new KeyTable([key("copy", "same")], "same");
    expect(principal(t.identify(["same"])).admin).toBe(true);
  });

  test("open: neither token nor keys, and everyone is the admin", () => {
    const open = new KeyTable([]);
    expect(open.open).toBe(true);
    expect(principal(open.identify([])).name).toBe("admin");
    expect(new KeyTable([], "t").open).toBe(false);
    expect(new KeyTable([key("k", "s")]).open).toBe(false);
    expect(new KeyTable([key("k", "s")]).identify([])).toBeInstanceOf(RouterError);
  });
});
