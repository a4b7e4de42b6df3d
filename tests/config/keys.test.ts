import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { ConfigError, loadConfigText, type ConfigIssue, type Env } from "../../src/config";
import { configSecrets } from "../../src/log";
import { issuesOf, MINIMAL, onlyIssue } from "./fixtures/helpers";
import { docBlock } from "../docs/blocks";

/** Keys: each entry normalised to KeyConfig (the secret only as its digest), and the checks across them. */

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const SECRET_A = "sk-llmr-team-a-0123456789abcdef";
const SECRET_B = "sk-llmr-team-b-0123456789abcdef";

/** MINIMAL (10 lines) with `keys:` from line 11 on. */
const withKeys = (keys: string) => `${MINIMAL}keys:\n${keys}`;
const load = (text: string, env: Env = {}) => loadConfigText(text, "config.yaml", env);

/** Every issue and warning of a config, loadable or not. */
function findings(text: string, env: Env = {}): ConfigIssue[] {
  try {
    return load(text, env).warnings;
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
}

describe("keys: normalised", () => {
  test("every field of a key, the plain secret kept only as its sha256", () => {
    const config = load(
      withKeys(`  - name: team-a
    secret: ${SECRET_A}
    groups: [default, "code-*"]
    rpm: 60
    tpm: 100000
    max_parallel: 4
    budget: { usd: 50, period: month }
    expires: 2026-12-31
    metadata: { team: platform, cost_center: 4711, billable: true }
`),
    );
    expect(config.keys).toEqual([
      {
        name: "team-a",
        digest: sha256(SECRET_A),
        groups: ["default", "code-*"],
        rpm: 60,
        tpm: 100000,
        maxParallel: 4,
        budget: { usd: 50, period: "month" },
        expiresAt: Date.UTC(2026, 11, 31),
        metadata: { team: "platform", cost_center: "4711", billable: "true" },
        pos: { line: 12, col: 5 },
      },
    ]);
    expect(JSON.stringify(config.keys)).not.toContain(SECRET_A);
    // Unknown group warnings aside ("code-*" matches none), the key loads without findings.
    expect(config.warnings.map((w) => w.code)).toEqual(["UNKNOWN_GROUP"]);
  });

  test("a key without limits is just its name and digest; no keys at all is an empty list", () => {
    const config = load(withKeys(`  - { name: open, secret: ${SECRET_A} }\n`));
    expect(config.keys).toEqual([
      { name: "open", digest: sha256(SECRET_A), pos: { line: 12, col: 5 } },
    ]);
    expect(load(MINIMAL).keys).toEqual([]);
    expect(load(MINIMAL).keysFile).toBeUndefined();
  });

  test("a sha256: secret is taken as the digest, lower-cased", () => {
    const hex = sha256(SECRET_A).toUpperCase();
    const config = load(withKeys(`  - { name: a, secret: "sha256:${hex}" }\n`));
    expect(config.keys[0]!.digest).toBe(sha256(SECRET_A));
    expect(config.secrets).toEqual([]);
  });

  test("a sha256: secret without exactly 64 hex digits is refused, without quoting it", () => {
    const short = sha256(SECRET_A).slice(1);
    expect(onlyIssue(withKeys(`  - { name: a, secret: "sha256:${short}" }\n`))).toEqual({
      code: "INVALID_VALUE",
      path: "keys[0].secret",
      pos: { line: 12, col: 24 },
      message:
        'key "a": a secret in sha256: form needs exactly 64 hex digits after "sha256:" (as `llm-router keys hash` prints), got 63 hex digits',
    });
    const pasted = `sha256:${SECRET_A}`;
    const issue = onlyIssue(withKeys(`  - { name: a, secret: "${pasted}" }\n`));
    expect(issue.message).toEndWith("got 31 characters, some of them not hex digits");
    expect(issue.message).not.toContain(SECRET_A);
  });

  test("a secret from the environment is hashed; the variable's value is kept for masking only", () => {
    const config = load(withKeys('  - { name: a, secret: "${TEAM_A_KEY}" }\n'), {
      TEAM_A_KEY: SECRET_A,
    });
    expect(config.keys[0]!.digest).toBe(sha256(SECRET_A));
    expect(config.secrets).toEqual([SECRET_A]);
    expect(configSecrets(config)).toContain(SECRET_A);
  });

  test("an empty secret (an unset ${VAR:-}) is refused", () => {
    expect(onlyIssue(withKeys('  - { name: a, secret: "${TEAM_A_KEY:-}" }\n'))).toEqual({
      code: "INVALID_VALUE",
      path: "keys[0].secret",
      pos: { line: 12, col: 24 },
      message:
        'key "a": the secret is empty (is its ${VAR} unset?); an empty secret cannot be used',
    });
  });

  test("an unset ${VAR} is reported once, as such", () => {
    const issue = onlyIssue(withKeys('  - { name: a, secret: "${TEAM_A_KEY}" }\n'));
    expect(issue.code).toBe("ENV_VAR");
    expect(issue.path).toBe("keys[0].secret");
  });

  test("a key without name or secret", () => {
    expect(issuesOf(withKeys(`  - { secret: ${SECRET_A} }\n  - { name: b }\n`))).toEqual([
      {
        code: "MISSING_KEY",
        path: "keys[0]",
        pos: { line: 12, col: 5 },
        message: 'missing required key "name"',
      },
      {
        code: "MISSING_KEY",
        path: "keys[1]",
        pos: { line: 13, col: 5 },
        message: 'missing required key "secret"',
      },
    ]);
  });

  test("a secret YAML reads as a number is refused without being quoted", () => {
    const issue = onlyIssue(withKeys("  - { name: a, secret: 12345678901234567890 }\n"));
    expect(issue.code).toBe("SCHEMA");
    expect(issue.message).toBe(
      "secret must be a string (quote it if YAML reads it as something else)",
    );
  });

  test("a bare list of secrets is refused without quoting them", () => {
    const issue = onlyIssue(withKeys(`  - ${SECRET_A}\n`));
    expect(issue).toMatchObject({ code: "SCHEMA", path: "keys[0]" });
    expect(issue.message).toBe("each key must be a mapping with at least name and secret");
  });

  test('"admin" is the router token\'s name', () => {
    expect(onlyIssue(withKeys(`  - { name: admin, secret: ${SECRET_A} }\n`))).toEqual({
      code: "INVALID_VALUE",
      path: "keys[0].name",
      pos: { line: 12, col: 13 },
      message: 'the key name "admin" is reserved for the router token (-t); choose another',
    });
  });

  test("a name used twice says where the first one is", () => {
    const text = withKeys(
      `  - { name: a, secret: ${SECRET_A} }\n  - { name: a, secret: ${SECRET_B} }\n`,
    );
    expect(onlyIssue(text)).toEqual({
      code: "DUPLICATE_NAME",
      path: "keys[1].name",
      pos: { line: 13, col: 13 },
      message: 'duplicate key name "a" (first defined at line 12, col 13)',
    });
  });

  test("two keys with one secret (plain and hashed alike) name both keys, never the secret", () => {
    const text = withKeys(
      `  - { name: a, secret: ${SECRET_A} }\n  - { name: b, secret: "sha256:${sha256(SECRET_A)}" }\n`,
    );
    const issue = onlyIssue(text);
    expect(issue).toEqual({
      code: "DUPLICATE_NAME",
      path: "keys[1].secret",
      pos: { line: 13, col: 24 },
      message: 'keys "a" and "b" have the same secret; each key needs its own',
    });
  });

  test("limits must be positive integers; a budget needs usd > 0 and a known period", () => {
    const issues = issuesOf(
      withKeys(`  - name: a
    secret: ${SECRET_A}
    rpm: 0
    tpm: 1.5
    max_parallel: -1
    budget: { usd: 0, period: year }
`),
    );
    expect(issues.map((i) => [i.code, i.path, i.pos?.line])).toEqual([
      ["SCHEMA", "keys[0].rpm", 14],
      ["SCHEMA", "keys[0].tpm", 15],
      ["SCHEMA", "keys[0].max_parallel", 16],
      ["SCHEMA", "keys[0].budget.usd", 17],
      ["SCHEMA", "keys[0].budget.period", 17],
    ]);
    expect(issues[0]!.message).toBe("expected a positive integer, got the number 0");
    expect(issues[4]!.message).toBe(
      'unknown period "year"; expected one of: day, week, month, total',
    );
  });

  test("metadata values are scalars, turned into strings", () => {
    const issue = onlyIssue(
      withKeys(`  - { name: a, secret: ${SECRET_A}, metadata: { owner: { first: Ann } } }\n`),
    );
    expect(issue).toMatchObject({ code: "SCHEMA", path: "keys[0].metadata.owner" });
    expect(issue.message).toBe("metadata values must be strings, numbers or booleans");
  });
});

describe("keys: expires", () => {
  const expiry = (value: string) =>
    load(withKeys(`  - { name: a, secret: ${SECRET_A}, expires: "${value}" }\n`)).keys[0]!
      .expiresAt;

  test("a date is 00:00 UTC that day; a date-time is UTC unless it has an offset", () => {
    expect(expiry("2026-12-31")).toBe(Date.UTC(2026, 11, 31));
    expect(expiry("2026-12-31T18:30:00Z")).toBe(Date.UTC(2026, 11, 31, 18, 30));
    expect(expiry("2026-12-31T18:30:00")).toBe(Date.UTC(2026, 11, 31, 18, 30));
    expect(expiry("2026-12-31 18:30")).toBe(Date.UTC(2026, 11, 31, 18, 30));
    expect(expiry("2026-12-31T18:30:00+01:00")).toBe(Date.UTC(2026, 11, 31, 17, 30));
    expect(expiry("2026-12-31T18:30:00.250-0230")).toBe(Date.UTC(2026, 11, 31, 21, 0, 0, 250));
  });

  test("a YAML date written without quotes is the same date", () => {
    const config = load(withKeys(`  - { name: a, secret: ${SECRET_A}, expires: 2027-01-15 }\n`));
    expect(config.keys[0]!.expiresAt).toBe(Date.UTC(2027, 0, 15));
  });

  test.each(["2026-02-30", "2026-13-01", "2026-12-31T24:00", "next week", "31.12.2026"])(
    "%s is refused",
    (value) => {
      const issue = onlyIssue(
        withKeys(`  - { name: a, secret: ${SECRET_A}, expires: "${value}" }\n`),
      );
      expect(issue).toEqual({
        code: "INVALID_VALUE",
        path: "keys[0].expires",
        pos: { line: 12, col: expect.any(Number) },
        message: `expires must be a date such as 2026-12-31 or an ISO date-time such as 2026-12-31T18:00:00Z, got "${value}"`,
      });
    },
  );
});

describe("keys: warnings", () => {
  test("a short plain secret is warned about, with the command that makes a good one", () => {
    const config = load(withKeys("  - { name: a, secret: short-secret }\n"));
    expect(config.warnings).toEqual([
      {
        code: "INVALID_VALUE",
        path: "keys[0].secret",
        pos: { line: 12, col: 16 },
        message:
          'key "a": the secret is 12 characters long; use at least 16 random characters (generate one with `llm-router keys new`)',
      },
    ]);
    expect(config.keys).toHaveLength(1);
  });

  test("a groups entry that matches no group is a warning with the likely group", () => {
    const text = withKeys(`  - name: a
    secret: ${SECRET_A}
    groups: [defualt, "def*", "d?fault", "gpt-*"]
`);
    const config = load(text);
    expect(config.warnings).toEqual([
      {
        code: "UNKNOWN_GROUP",
        path: "keys[0].groups[0]",
        pos: { line: 14, col: 14 },
        message: 'key "a": "defualt" matches no group in model_groups; did you mean "default"?',
      },
      {
        code: "UNKNOWN_GROUP",
        path: "keys[0].groups[3]",
        pos: { line: 14, col: 42 },
        message: 'key "a": "gpt-*" matches no group in model_groups',
      },
    ]);
    expect(config.keys[0]!.groups).toEqual(["defualt", "def*", "d?fault", "gpt-*"]);
  });

  test("no message ever holds a plain secret", () => {
    const secrets = ["sk-secret-one-0123456789", "sk-secret-two-0123456789", "tiny-secret1"];
    const text = withKeys(`  - { name: admin, secret: ${secrets[0]} }
  - { name: b, secret: ${secrets[1]}, expires: soon, rpm: 0 }
  - { name: c, secret: ${secrets[1]} }
  - { name: c, secret: "sha256:${secrets[2]}" }
  - { name: d, secret: "\${D_KEY}" }
  - { name: e, secret: ${secrets[2]}, groups: [nope] }
`);
    const all = findings(text, { D_KEY: secrets[2]! });
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const s of secrets) expect(JSON.stringify(all)).not.toContain(s);
  });
});

describe("README.md's Teams example", () => {
  test("is a config the loader takes as it reads: keys, prices with a tier, Redis state", () => {
    const yaml = docBlock("teams-config").code;
    const config = loadConfigText(yaml, "README.md", {
      ANTHROPIC_API_KEY: "sk-ant",
      OPENAI_API_KEY: "sk-openai",
      CI_ROUTER_KEY: "sk-ci-0123456789abcdef",
      REDIS_PASSWORD: "pw",
    });
    expect(config.keys.map((k) => k.name)).toEqual(["team-a", "ci"]);
    expect(config.warnings).toEqual([]);
    const teamA = config.keys[0]!;
    expect(teamA).toMatchObject({
      groups: ["claude-*", "gpt"],
      rpm: 60,
      tpm: 400000,
      maxParallel: 8,
      budget: { usd: 50, period: "day" },
      expiresAt: Date.UTC(2027, 5, 30),
      metadata: { team: "a", owner: "alice" },
    });
    expect(config.models.get("sonnet")!.pricing).toMatchObject({
      input: 3,
      output: 15,
      cacheRead: 0.3,
      cacheWrite: 3.75,
      reasoning: 15,
      tiers: [{ aboveInputTokens: 200000, input: 6, output: 22.5 }],
    });
    expect(config.state).toMatchObject({ url: "redis://:pw@10.0.0.7:6379/0", failure: "open" });
    expect(config.state.timeoutMs).toBe(50);
  });
});
