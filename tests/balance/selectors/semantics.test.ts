/**
 * Selector semantics: the first output decides, only `true` matches, errors never match; $format and
 * $group are bound. Checked against Debian's jq binary (1.6 on bookworm) on cases where 1.6 and 1.7 agree.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { SelectorEngine, type SelectorOutcome } from "../../../src/balance/selectors/index";

// The comparison spawns /usr/bin/jq a few hundred times: seconds on a loaded machine.
setDefaultTimeout(60_000);

const JQ = "/usr/bin/jq";
const HAVE_JQ = existsSync(JQ);
const IN_CI = process.env.CI === "true";

/** [selector, expected outcome on BODIES.openai with $format "openai" and $group "sem"] */
const TABLE: [string, SelectorOutcome][] = [
  ["true", "match"],
  ["false", "no_match"],
  ["1", "no_match"],
  ['"true"', "no_match"],
  ["null", "no_match"],
  ["{}", "no_match"],
  ["empty", "no_match"],
  ['error("boom")', "error"],
  [".model.x", "error"],
  ["true, false", "match"],
  ["false, true", "no_match"],
  ['true, error("late")', "match"],
  ['error("early"), true', "error"],
  ['$format == "openai"', "match"],
  ['$group == "sem"', "match"],
  ['$format == "gemini"', "no_match"],
  [".messages | length > 2", "no_match"],
  ['.model | test("^gpt")', "match"],
  [".max_tokens > 4096", "match"],
  ['[.messages[] | select(.role == "system")] | length > 0', "match"],
  ["(.tools // []) | length > 0", "no_match"],
  ['has("stream") and .stream', "match"],
  ['.messages[0].content | ascii_downcase | contains("terse")', "match"],
  ['any(.messages[]; .content | type == "array")', "no_match"],
  ['try error("x") catch true', "match"],
  [".temperature as $t | $t < 0.5", "match"],
  ["reduce .messages[] as $m (0; . + 1) >= 2", "match"],
  ['"\\(.model)" == "gpt-4o"', "match"],
  ['.missing | test("a")', "error"],
  ['first(.messages[] | .role) == "system"', "match"],
  [".[0]", "error"],
];

const BODIES: Record<string, object | unknown[]> = {
  openai: {
    model: "gpt-4o",
    stream: true,
    max_tokens: "5000",
    temperature: 0.2,
    messages: [
      { role: "system", content: "Be TERSE." },
      { role: "user", content: "hi" },
    ],
  },
  anthropic: {
    model: "claude-haiku",
    max_tokens: 100,
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    tools: [{ name: "t" }],
  },
  empty: {},
  array: [1, 2, 3],
  unicode: {
    model: "gpt-ü",
    messages: [{ role: "user", content: '日本語 \u2028 "quoted"' }],
    stream: false,
  },
};
const FORMATS = ["openai", "anthropic", "gemini"] as const;

/** What Debian's jq says about one case, by the same rule: its first output, or its error. */
async function jqBinary(
  selector: string,
  body: string,
  format: string,
  group: string,
): Promise<SelectorOutcome> {
  const run = Bun.spawn([JQ, "-c", "--arg", "format", format, "--arg", "group", group, selector], {
    stdin: new TextEncoder().encode(body),
    stdout: "pipe",
    stderr: "ignore",
  });
  const [out, code] = await Promise.all([new Response(run.stdout).text(), run.exited]);
  const first = out.split("\n")[0] ?? "";
  if (first !== "") return first === "true" ? "match" : "no_match";
  return code === 0 ? "no_match" : "error";
}

let engine: SelectorEngine;
beforeAll(async () => {
  engine = await SelectorEngine.create([{ group: "sem", sources: TABLE.map(([s]) => s) }]);
});
afterAll(() => engine.close());

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe("selector outcomes", () => {
  test("the table, on an OpenAI body", async () => {
    const got = await engine.evaluate("sem", enc(BODIES.openai), "openai");
    const mismatches = TABLE.map(([sel, want], i) => ({ sel, want, got: got[i] })).filter(
      (c) => c.want !== c.got,
    );
    expect(mismatches).toEqual([]);
  });

  test("halt, halt_error, input and inputs are disabled: errors, not an end of the engine or a peek at the next body", async () => {
    const e = await SelectorEngine.create([
      {
        group: "h",
        sources: [
          "halt",
          'halt_error("x")',
          "halt_error",
          "input",
          "[inputs] | length == 0",
          "true",
        ],
      },
    ]);
    try {
      for (let i = 0; i < 3; i++)
        expect(await e.evaluate("h", enc({ i }), "openai")).toEqual([
          "error",
          "error",
          "error",
          "error",
          "error",
          "match",
        ]);
    } finally {
      await e.close();
    }
  });

  test("$group is the group evaluated, even for the same selector text", async () => {
    const e = await SelectorEngine.create([
      { group: "a", sources: ['$group == "a"'] },
      { group: "b", sources: ['$group == "a"'] },
    ]);
    try {
      expect(await e.evaluate("a", enc({}), "gemini")).toEqual(["match"]);
      expect(await e.evaluate("b", enc({}), "gemini")).toEqual(["no_match"]);
    } finally {
      await e.close();
    }
  });
});

describe("against Debian's jq", () => {
  if (!HAVE_JQ && IN_CI) {
    test("/usr/bin/jq is installed (.ci/run installs it)", () => {
      throw new Error(`${JQ} is missing: CI must run \`apt-get install -y jq\` before the tests`);
    });
  }
  test.skipIf(!HAVE_JQ)(
    `every selector × body × format agrees with ${JQ} (skipped without it)`,
    async () => {
      const cases: { sel: string; i: number; name: string; body: unknown; format: string }[] = [];
      for (const [name, body] of Object.entries(BODIES)) {
        // Only the $format selectors can tell formats apart; the rest run once per body.
        for (const format of FORMATS)
          TABLE.forEach(
            ([sel], i) =>
              (format === "openai" || sel.includes("$format")) &&
              cases.push({ sel, i, name, body, format }),
          );
      }
      const mismatches: string[] = [];
      const engineRuns = new Map<string, Promise<SelectorOutcome[]>>();
      for (let at = 0; at < cases.length; at += 8) {
        await Promise.all(
          cases.slice(at, at + 8).map(async ({ sel, i, name, body, format }) => {
            const key = `${name}/${format}`;
            if (!engineRuns.has(key))
              engineRuns.set(key, engine.evaluate("sem", enc(body), format as "openai"));
            const [got, want] = await Promise.all([
              engineRuns.get(key)!,
              jqBinary(sel, JSON.stringify(body), format, "sem"),
            ]);
            if (got[i] !== want) mismatches.push(`${sel} on ${key}: engine ${got[i]}, jq ${want}`);
          }),
        );
      }
      expect(cases.length).toBeGreaterThan(150);
      expect(mismatches).toEqual([]);
    },
  );
});
