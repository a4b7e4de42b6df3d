import { describe, expect, test } from "bun:test";
import { DEFAULT_AFFINITY, DEFAULT_MAX_ATTEMPTS, loadConfigText } from "../../src/config";
import { issuesOf } from "./fixtures/helpers";

/** Issue 16's settings: affinity, attempt budgets, fallback groups, caps and context windows. */

const MODELS = `model_list:
  - model_name: a
    llm_params: {api_type: openai, model: x, context_window: 128000}
  - model_name: b
    llm_params: {api_type: anthropic, model: y}
`;
const load = (routing: string) => loadConfigText(MODELS + routing, "c.yaml", {});

describe("routing settings", () => {
  test("defaults: session affinity, three attempts, no fallbacks; a group's chain is itself", () => {
    const c = load(`router_settings:
  model_groups:
    - name: g
      models: [{name: a}]
`);
    expect(c.groups.get("g")).toMatchObject({
      affinity: DEFAULT_AFFINITY,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      fallbacks: [],
      chain: ["g"],
    });
    expect(c.affinityKeys).toEqual([]);
    expect(c.models.get("a")!.contextWindow).toBe(128000);
    expect(c.models.get("b")!.contextWindow).toBeUndefined();
  });

  test("router-wide values are every group's default; a group's own win", () => {
    const c = load(`router_settings:
  affinity: none
  affinity_keys: [X-Team-Session, x-other]
  max_attempts: 5
  model_groups:
    - name: g
      models: [{name: a, max_parallel: 4}]
    - name: h
      affinity: session
      max_attempts: 2
      models: [{name: b}]
`);
    expect(c.affinityKeys).toEqual(["x-team-session", "x-other"]);
    expect(c.groups.get("g")).toMatchObject({ affinity: "none", maxAttempts: 5 });
    expect(c.groups.get("g")!.members[0]!.maxParallel).toBe(4);
    expect(c.groups.get("h")).toMatchObject({ affinity: "session", maxAttempts: 2 });
  });

  test("fallbacks of fallbacks make a depth-first chain with each group once", () => {
    const c = load(`router_settings:
  model_groups:
    - name: g
      fallbacks: [h, k]
      models: [{name: a}]
    - name: h
      fallbacks: [j, k]
      models: [{name: b}]
    - name: j
      models: [{name: b}]
    - name: k
      models: [{name: a}]
`);
    expect(c.groups.get("g")!.chain).toEqual(["g", "h", "j", "k"]);
    expect(c.groups.get("h")!.chain).toEqual(["h", "j", "k"]);
  });

  test("a cycle is refused at the entry that closes it, with the cycle spelled out", () => {
    const issues = issuesOf(
      MODELS +
        `router_settings:
  model_groups:
    - name: g
      fallbacks: [h]
      models: [{name: a}]
    - name: h
      fallbacks: [j]
      models: [{name: b}]
    - name: j
      fallbacks: [g]
      models: [{name: b}]
`,
    );
    expect(issues.map((i) => `${i.pos!.line}:${i.pos!.col} ${i.path} ${i.code}`)).toEqual([
      "15:19 router_settings.model_groups[2].fallbacks[0] FALLBACK_CYCLE",
    ]);
    expect(issues[0]!.message).toBe("fallbacks form a cycle: g → h → j → g");
  });

  test("a group that falls back to itself is a cycle too", () => {
    const issues = issuesOf(
      MODELS +
        `router_settings:
  model_groups:
    - name: g
      fallbacks: [g]
      models: [{name: a}]
`,
    );
    expect(issues.map((i) => i.code)).toEqual(["FALLBACK_CYCLE"]);
    expect(issues[0]!.message).toBe("fallbacks form a cycle: g → g");
  });

  test("an unknown fallback group is refused with a suggestion", () => {
    const issues = issuesOf(
      MODELS +
        `router_settings:
  model_groups:
    - name: sonnet
      fallbacks: [gpt-5]
      models: [{name: a}]
    - name: gpt5
      models: [{name: b}]
`,
    );
    expect(issues.map((i) => `${i.pos!.line}:${i.pos!.col} ${i.code}`)).toEqual([
      "9:19 UNKNOWN_GROUP",
    ]);
    expect(issues[0]!.message).toContain('did you mean "gpt5"?');
  });

  test("values of the wrong kind are schema errors at their place", () => {
    const issues = issuesOf(
      MODELS +
        `server_settings:
  stream_keepalive: 99999
router_settings:
  affinity: sticky
  max_attempts: 0
  affinity_keys: ["bad header"]
  model_groups:
    - name: g
      models: [{name: a, max_parallel: 0}]
`,
    );
    expect(issues.map((i) => `${i.path} ${i.code}`)).toEqual([
      "server_settings.stream_keepalive SCHEMA",
      "router_settings.affinity SCHEMA",
      "router_settings.max_attempts SCHEMA",
      "router_settings.affinity_keys[0] SCHEMA",
      "router_settings.model_groups[0].models[0].max_parallel SCHEMA",
    ]);
  });
});
