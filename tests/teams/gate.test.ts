import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { KeyConfig, ModelConfig, Pricing } from "../../src/config/types";
import { RouterError, type Usage } from "../../src/ir";
import { MemoryStore, Teams, Ticket, type Principal } from "../../src/teams";
import type { AdmitRequest, Settlement, StateStore, Verdict } from "../../src/teams/types";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const T0 = Date.UTC(2026, 11, 8, 10);

/** A MemoryStore that records what it is asked. */
class RecordingStore extends MemoryStore {
  admitted: AdmitRequest[] = [];
  settled: Settlement[] = [];
  override admit(req: AdmitRequest): Verdict {
    this.admitted.push({ ...req });
    return super.admit(req);
  }
  override settle(s: Settlement): void {
    this.settled.push(s);
    super.settle(s);
  }
}

const pricing: Pricing = {
  input: 3,
  output: 15,
  cacheRead: 0.3,
  cacheWrite: 3.75,
  reasoning: 15,
  tiers: [],
};
const models = new Map([["sonnet-4", { name: "sonnet-4", pricing } as ModelConfig]]);
const usage = (input: number, output: number): Usage => ({
  input,
  output,
  cacheRead: 0,
  cacheWrite: 0,
});

function setup(keys: Partial<KeyConfig>[], store: StateStore = new RecordingStore()) {
  let now = T0;
  const configs = keys.map((k, i) => ({ name: `key-${i}`, digest: sha(`secret-${i}`), ...k }));
  const teams = new Teams({ keys: configs, token: "admin-token", store, models, clock: () => now });
  const who = (secret: string) => teams.identify([secret]) as Principal;
  return {
    teams,
    store: store as RecordingStore,
    who,
    at: (ms: number) => void (now = ms),
  };
}

let ids = 0;
let estimates = 0;
const request = (group = "g", tokens = 100) => ({
  id: `r${++ids}`,
  group,
  estimate: () => (estimates++, tokens),
});
const ticket = (v: unknown): Ticket => {
  if (!(v instanceof Ticket)) throw new Error(`not admitted: ${(v as RouterError).message}`);
  return v;
};
const refusal = (v: unknown): RouterError => {
  if (!(v instanceof RouterError)) throw new Error("admitted");
  return v;
};

describe("Teams admission", () => {
  test("the admin and keys without limits never reach the store, nor size the request", () => {
    const { teams, store, who } = setup([{ name: "free", groups: ["g"] }]);
    estimates = 0;
    for (const p of [who("admin-token"), who("secret-0")]) {
      const t = ticket(teams.admit(p, request()));
      expect(t.key).toBe(p.name);
    }
    expect(store.admitted).toEqual([]);
    expect(estimates).toBe(0);
  });

  test("open: neither token nor keys; everyone is the admin", () => {
    const teams = new Teams({ keys: [], store: new MemoryStore(), models });
    expect(teams.open).toBe(true);
    expect((teams.identify([]) as Principal).name).toBe("admin");
    expect(setup([]).teams.open).toBe(false);
  });

  test("identify checks expiry against the Teams clock", () => {
    const { teams, at } = setup([{ name: "temp", expiresAt: T0 + 1000 }]);
    expect((teams.identify(["secret-0"]) as Principal).name).toBe("temp");
    at(T0 + 1000);
    expect(teams.identify(["secret-0"])).toBeInstanceOf(RouterError);
  });

  test("the store is asked with the key's limits; the estimate only for a tpm or a budget", () => {
    const { teams, store, who } = setup([
      { name: "a", rpm: 10 },
      { name: "b", tpm: 1000, maxParallel: 2, budget: { usd: 5, period: "week" } },
    ]);
    estimates = 0;
    ticket(teams.admit(who("secret-0"), request()));
    expect(estimates).toBe(0);
    ticket(teams.admit(who("secret-1"), request("g", 321)));
    expect(estimates).toBe(1);
    expect(store.admitted[0]).toMatchObject({ key: "a", now: T0, rpm: 10, tokens: 0 });
    expect(store.admitted[1]).toMatchObject({
      key: "b",
      tpm: 1000,
      tokens: 321,
      maxParallel: 2,
      budget: { usd: 5, window: { id: "week:2026-12-07" } },
    });
  });

  test("rpm, tpm and max_parallel refusals: 429 naming the key, the limit and when to retry", () => {
    const { teams, who, at } = setup([
      { name: "team-a", rpm: 2 },
      { name: "team-b", tpm: 1000 },
      { name: "team-c", maxParallel: 1 },
    ]);
    at(T0 + 100);
    ticket(teams.admit(who("secret-0"), request()));
    ticket(teams.admit(who("secret-0"), request()));
    at(T0 + 48_500);
    expect(refusal(teams.admit(who("secret-0"), request()))).toMatchObject({
      code: "rate_limit",
      status: 429,
      retryAfter: "12",
      message: 'key "team-a" is over its limit of 2 requests per minute; retry in 12 s',
    });
    ticket(teams.admit(who("secret-1"), request("g", 900)));
    expect(refusal(teams.admit(who("secret-1"), request("g", 200)))).toMatchObject({
      retryAfter: "60", // its own slot must leave: 59.5 s
      message: 'key "team-b" is over its limit of 1000 tokens per minute; retry in 60 s',
    });
    ticket(teams.admit(who("secret-2"), request()));
    expect(refusal(teams.admit(who("secret-2"), request()))).toMatchObject({
      retryAfter: "1",
      message: 'key "team-c" is at its limit of 1 requests in parallel; retry in 1 s',
    });
  });

  test("a spent budget: 429 budget_exceeded naming the budget, its period and when it resets", async () => {
    const { teams, who, at } = setup([
      { name: "team-a", budget: { usd: 50, period: "day" } },
      { name: "team-w", budget: { usd: 0.005, period: "week" } },
      { name: "team-m", budget: { usd: 7.5, period: "month" } },
      { name: "team-t", budget: { usd: 1, period: "total" } },
    ]);
    const big: Usage = usage(10_000_000, 10_000_000); // $30 + $150
    for (const secret of ["secret-0", "secret-1", "secret-2", "secret-3"])
      ticket(teams.admit(who(secret), request())).settle({
        group: "g",
        model: "sonnet-4",
        usage: big,
      });
    at(Date.UTC(2026, 11, 8, 23, 59, 30));
    expect(refusal(teams.admit(who("secret-0"), request()))).toMatchObject({
      code: "rate_limit",
      status: 429,
      subtype: "budget_exceeded",
      retryAfter: "30",
      message:
        'key "team-a" has spent its budget of $50.00 for the day (2026-12-08 UTC); ' +
        "it resets at 2026-12-09T00:00:00.000Z",
    });
    expect(refusal(teams.admit(who("secret-1"), request())).message).toBe(
      'key "team-w" has spent its budget of $0.005 for the week (from Monday 2026-12-07 UTC); ' +
        "it resets at 2026-12-14T00:00:00.000Z",
    );
    expect(refusal(teams.admit(who("secret-2"), request())).message).toBe(
      'key "team-m" has spent its budget of $7.50 for the month (2026-12 UTC); ' +
        "it resets at 2027-01-01T00:00:00.000Z",
    );
    const total = refusal(teams.admit(who("secret-3"), request()));
    expect(total.message).toBe(
      'key "team-t" has spent its total budget of $1.00; it does not reset',
    );
    expect([total.subtype, total.retryAfter]).toEqual(["budget_exceeded", undefined]);
    // The next day the daily budget is fresh.
    at(Date.UTC(2026, 11, 9));
    ticket(teams.admit(who("secret-0"), request()));
  });

  test("a store that cannot answer (state_failure: closed): 503, retry in a second", async () => {
    const down: StateStore = {
      admit: async () => ({ ok: false, limit: "unavailable" }),
      settle: () => {},
      ledger: async () => new Map(),
      close: async () => {},
    };
    const { teams, who } = setup([{ name: "a", rpm: 1 }], down);
    const answer = teams.admit(who("secret-0"), request());
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toMatchObject({
      code: "overloaded",
      status: 503,
      retryAfter: "1",
      message:
        "the router's shared state store is unavailable (state_failure: closed); retry shortly",
    });
  });

  test("a remote store's verdict arrives as a promise of the ticket", async () => {
    const memory = new MemoryStore();
    const remote: StateStore = {
      admit: async (r) => memory.admit(r),
      settle: (s) => memory.settle(s),
      ledger: (k, ids) => memory.ledger(k, ids),
      close: () => memory.close(),
    };
    const { teams, who } = setup([{ name: "a", rpm: 1 }], remote);
    expect(await teams.admit(who("secret-0"), request())).toBeInstanceOf(Ticket);
    expect(await teams.admit(who("secret-0"), request())).toBeInstanceOf(RouterError);
  });
});

describe("Ticket.settle", () => {
  test("settles once: cost from the served model's prices, tpm corrected, slot freed", () => {
    const { teams, store, who } = setup([
      { name: "a", tpm: 1000, maxParallel: 1, metadata: { team: "search" } },
    ]);
    const t = ticket(teams.admit(who("secret-0"), request("g", 900)));
    expect(t.metadata).toEqual({ team: "search" });
    expect(refusal(teams.admit(who("secret-0"), request("g", 50))).message).toContain(
      "in parallel",
    );
    const u: Usage = { input: 100, cacheRead: 50, cacheWrite: 20, output: 30, reasoning: 10 };
    const cost = t.settle({ group: "g", model: "sonnet-4", usage: u });
    // 100 × 3 + 50 × 0.30 + 20 × 3.75 + 30 × 15 = 300 + 15 + 75 + 450 = 840 per million
    expect(cost!.usd).toBeCloseTo(0.00084, 12);
    expect(cost!.tokens).toEqual({
      input: 100,
      output: 30,
      cache_read: 50,
      cache_write: 20,
      reasoning: 10,
    });
    expect(store.settled[0]).toMatchObject({
      key: "a",
      admittedAt: T0,
      reserved: 900,
      tokens: 200,
      parallel: true,
      spend: { group: "g", model: "sonnet-4", window: { id: "month:2026-12" } },
    });
    expect(t.settle({ group: "g", model: "sonnet-4", usage: u })).toBeUndefined();
    expect(store.settled).toHaveLength(1);
    // 200 of 1000 used and the slot free: 800 more fit.
    ticket(teams.admit(who("secret-0"), request("g", 800)));
  });

  test("spend lands in the period of admission, for keys and the admin alike", async () => {
    const { teams, who, at } = setup([{ name: "a", budget: { usd: 100, period: "day" } }]);
    at(Date.UTC(2026, 11, 8, 23, 59, 59));
    const key = ticket(teams.admit(who("secret-0"), request()));
    const admin = ticket(teams.admit(who("admin-token"), request()));
    at(Date.UTC(2026, 11, 9, 0, 0, 5));
    key.settle({ group: "g", model: "sonnet-4", usage: usage(1_000_000, 0) });
    admin.settle({ group: "g", model: "unpriced", usage: usage(5, 5) });
    const report = await teams.usageReport(who("admin-token"));
    const [a, adm] = report.keys;
    expect([a!.current.period, a!.current.usd, a!.previous!.period, a!.previous!.usd]).toEqual([
      "day:2026-12-09",
      0,
      "day:2026-12-08",
      3,
    ]);
    expect([adm!.key, adm!.current.period, adm!.current.requests, adm!.current.usd]).toEqual([
      "admin",
      "month:2026-12",
      1,
      0,
    ]);
  });

  test("nothing served: the slot and the reservation are freed, nothing is spent", async () => {
    const { teams, store, who } = setup([{ name: "a", tpm: 100, maxParallel: 1 }]);
    const t = ticket(teams.admit(who("secret-0"), request("g", 100)));
    expect(t.settle()).toBeUndefined();
    expect(store.settled[0]).toMatchObject({
      reserved: 100,
      tokens: 0,
      parallel: true,
      spend: undefined,
    });
    ticket(teams.admit(who("secret-0"), request("g", 100)));
    expect((await teams.usageReport(who("secret-0"))).keys[0]!.current.requests).toBe(0);
  });

  test("a cut answer: at least the estimated input is charged, and no reservation is given back", () => {
    const { teams, store, who } = setup([
      { name: "a", tpm: 100_000, budget: { usd: 5, period: "day" } },
    ]);
    // The client cancelled after the last word: only Anthropic's message_start usage arrived.
    const cut = ticket(teams.admit(who("secret-0"), request("g", 10_000)));
    const partial = cut.settle({ group: "g", model: "sonnet-4", usage: usage(40, 0), cut: true });
    expect(partial!.tokens.input).toBe(10_000);
    expect(partial!.usd).toBeCloseTo((10_000 * 3) / 1e6, 12);
    expect(store.settled[0]).toMatchObject({ reserved: 10_000, tokens: 10_000 });
    // No usage at all (an OpenAI stream cut before its last chunk): the estimate still.
    const none = ticket(teams.admit(who("secret-0"), request("g", 2_000)));
    expect(none.settle({ group: "g", model: "sonnet-4", cut: true })!.tokens.input).toBe(2_000);
    // Usage beyond the estimate is charged as reported, cut or not.
    const big = ticket(teams.admit(who("secret-0"), request("g", 10)));
    const whole = big.settle({ group: "g", model: "sonnet-4", usage: usage(500, 70), cut: true });
    expect(whole!.tokens).toMatchObject({ input: 500, output: 70 });
    expect(store.settled[2]).toMatchObject({ reserved: 10, tokens: 570 });
  });

  test("a key without tpm sends no tpm correction", () => {
    const { teams, store, who } = setup([{ name: "a", rpm: 5 }]);
    ticket(teams.admit(who("secret-0"), request())).settle({
      group: "g",
      model: "m",
      usage: usage(7, 7),
    });
    expect(store.settled[0]).toMatchObject({ reserved: 0, tokens: 0, parallel: false });
  });
});
