import { describe, expect, test } from "bun:test";
import { parse, stringify } from "yaml";
import { loadConfigText } from "../../src/config";
import { docBlock } from "./blocks";

/**
 * The README's config blocks load with the router's own loader, without a warning, so a renamed
 * key or a changed default cannot leave the reference describing a config the router refuses.
 * Fragments (a group, a router_settings excerpt) are completed with the models and groups they
 * name, and nothing else. (The Teams block is read by tests/config/keys.test.ts.)
 */

const ENV = {
  OPENAI_API_KEY: "sk-openai-readme",
  ANTHROPIC_API_KEY: "sk-ant-readme",
  DEEPSEEK_API_KEY: "sk-deepseek-readme",
};

function model(name: string, apiType = "openai") {
  return { model_name: name, llm_params: { api_type: apiType, model: `${name}-id`, api_key: "k" } };
}

type Config = {
  model_list?: { model_name: string }[];
  router_settings?: { model_groups?: { name: string }[]; [k: string]: unknown };
  [k: string]: unknown;
};

/** The block's YAML, with the models and groups it refers to but does not define added. */
function completed(block: Config, models: string[], groups: Record<string, string[]> = {}) {
  const list = [...(block.model_list ?? [])];
  for (const m of models) if (!list.some((x) => x.model_name === m)) list.push(model(m));
  const settings = { ...(block.router_settings ?? {}) };
  const defined = [...(settings.model_groups ?? [])];
  for (const [name, members] of Object.entries(groups))
    if (!defined.some((g) => g.name === name))
      defined.push({ name, models: members.map((m) => ({ name: m })) } as { name: string });
  return stringify({
    ...block,
    model_list: list,
    router_settings: { ...settings, model_groups: defined },
  });
}

function loads(text: string, id: string) {
  const config = loadConfigText(text, `<README ${id}>`, ENV);
  expect(config.warnings.map((w) => w.message)).toEqual([]);
  return config;
}

describe("the README's config blocks load", () => {
  test("minimal-config, and without its variable it is refused naming the variable", () => {
    const { code } = docBlock("minimal-config");
    const config = loads(code, "minimal-config");
    expect([...config.models.keys()]).toEqual(["deepseek"]);
    expect(() => loadConfigText(code, "<README minimal-config>", {})).toThrow(/DEEPSEEK_API_KEY/);
  });

  test("config-reference: every key it shows is one the router knows", () => {
    loads(docBlock("config-reference").code, "config-reference");
  });

  test("selector-group: its selectors compile", () => {
    const group = docBlock("selector-group").code;
    const models = ["claude-opus", "gemini-flash", "gpt-4o-mini"];
    const text = `${stringify({ model_list: models.map((m) => model(m)) })}router_settings:\n  model_groups:\n${group}`;
    const config = loads(text, "selector-group");
    const auto = config.groups.get("auto")!;
    expect(auto.members.filter((m) => m.selector !== undefined)).toHaveLength(2);
  });

  test("affinity-config", () => {
    const block = parse(docBlock("affinity-config").code) as Config;
    loads(completed(block, ["claude-direct", "claude-bedrock"]), "affinity-config");
  });

  test("fallback-config", () => {
    const block = parse(docBlock("fallback-config").code) as Config;
    const text = completed(
      block,
      ["claude-direct", "claude-bedrock", "gpt-4o-mini", "cheap-model"],
      {
        gpt: ["gpt-4o-mini"],
        cheap: ["cheap-model"],
      },
    );
    const sonnet = loads(text, "fallback-config").groups.get("sonnet")!;
    expect(sonnet.fallbacks).toEqual(["gpt", "cheap"]);
  });

  test("context-window-config", () => {
    const block = parse(docBlock("context-window-config").code) as Config;
    const config = loads(
      completed(block, [], { long: ["deepseek", "gemini-pro"] }),
      "context-window-config",
    );
    expect([...config.models.values()].map((m) => m.contextWindow)).toEqual([128000, 1048576]);
  });
});
