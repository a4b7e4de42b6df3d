import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { claudeCode } from "../e2e/real-clients/claude-code";
import { scratch, type Drive, type Scratch } from "../e2e/real-clients/cli";
import { codex } from "../e2e/real-clients/codex";
import { geminiCli } from "../e2e/real-clients/gemini-cli";
import { opencode } from "../e2e/real-clients/opencode";
import { qwenCode } from "../e2e/real-clients/qwen-code";
import {
  claudeCodeEnv,
  CODEX_CATALOG,
  codexCatalog,
  codexConfig,
  geminiCliEnv,
  geminiCliSettings,
  KEY_VAR,
  keyEnv,
  opencodeConfig,
  qwenCodeSettings,
  README_BLOCKS,
  README_TARGET,
  renderBlock,
  type OpencodeKind,
  type TomlDoc,
} from "../e2e/real-clients/recipes";
import { docBlock } from "./blocks";

/**
 * The README's agent recipes are the settings the real-client tests run the agents with: each
 * block is exactly what recipes.ts renders and reads back as the recipe's settings, and each
 * driver hands its CLI every setting of the recipe unchanged, adding only sandbox settings.
 */

/** Every agent block of the README. */
const IDS = [
  "agent-claude-code",
  "agent-gemini-cli",
  "agent-gemini-cli-settings",
  "agent-codex",
  "agent-codex-catalog",
  "agent-opencode-responses",
  "agent-opencode-chat",
  "agent-opencode-anthropic",
  "agent-qwen-code",
];

/** A TOML document as its parser returns it: a dotted table name is a path of nested tables. */
const parsedToml = (doc: TomlDoc) =>
  Object.assign(
    { ...doc.top },
    ...Object.entries(doc.tables).map(([name, entries]) =>
      name.split(".").reduceRight<object>((inner, key) => ({ [key]: inner }), entries),
    ),
  );

/** What a shell has in its environment after running `script` with the key variable set. */
function shellEnv(script: string, key: string): Record<string, string> {
  const run = spawnSync("sh", ["-c", `${script}env`], {
    env: { PATH: process.env.PATH, [KEY_VAR]: key },
    encoding: "utf8",
  });
  return Object.fromEntries(
    run.stdout.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

describe("the README's agent blocks are the recipes, rendered", () => {
  test("one block for every recipe", () => {
    expect(Object.keys(README_BLOCKS).sort()).toEqual([...IDS].sort());
  });

  for (const id of IDS) {
    test(id, () => {
      const recipe = README_BLOCKS[id]!;
      const block = docBlock(id);
      expect({ lang: block.lang, code: block.code }).toEqual({
        lang: recipe.lang,
        code: renderBlock(recipe),
      });
      // and the text says what the recipe says, read by the file's own parser or by a shell
      if (recipe.lang === "json") expect(JSON.parse(block.code)).toEqual(recipe.value);
      if (recipe.lang === "toml")
        expect(Bun.TOML.parse(block.code)).toEqual(parsedToml(recipe.doc));
      if (recipe.lang === "sh") {
        const key = "sk-router-token-0123456789";
        const expected = Object.entries(recipe.env).map(([k, v]) => [
          k,
          v === README_TARGET.key ? key : v,
        ]);
        expect(shellEnv(block.code, key)).toMatchObject(Object.fromEntries(expected));
      }
    });
  }
});

describe("the drivers run each CLI with its recipe's settings", () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch({});
  });
  afterAll(() => s?.cleanup());

  const target = { base: "http://127.0.0.1:4321", key: "sk-test-0123456789", group: "main-group" };
  const withSmall = { ...target, smallGroup: "small-group" };
  const drive = (): Drive => ({
    base: target.base,
    token: target.key,
    group: target.group,
    smallGroup: withSmall.smallGroup,
    prompt: "Say hello.",
    scratch: s,
  });
  const json = async (path: string) => JSON.parse(await readFile(path, "utf8"));

  test("Claude Code: the recipe's environment, its small group included", async () => {
    const inv = await claudeCode(drive());
    expect(inv.env).toMatchObject(claudeCodeEnv(withSmall));
    expect(inv.env.ANTHROPIC_DEFAULT_HAIKU_MODEL).toBe("small-group");
  });

  test("Gemini CLI: the recipe's environment and settings.json", async () => {
    const inv = await geminiCli(drive());
    expect(inv.env).toMatchObject(geminiCliEnv(target));
    expect(await json(join(inv.env.HOME!, ".gemini", "settings.json"))).toMatchObject(
      geminiCliSettings(),
    );
  });

  test("Codex: the recipe's config.toml entries, its catalog beside them and the variable env_key names", async () => {
    const inv = await codex("read-only", { catalog: "recipe" })(drive());
    const home = inv.env.CODEX_HOME!;
    const toml = Bun.TOML.parse(await readFile(join(home, "config.toml"), "utf8"));
    expect(toml).toMatchObject(parsedToml(codexConfig(target)));
    expect(await json(join(home, CODEX_CATALOG))).toEqual(codexCatalog(target));
    expect(inv.env).toMatchObject(keyEnv(target));
  });

  for (const kind of ["responses", "chat", "anthropic"] satisfies OpencodeKind[]) {
    test(`opencode (${kind}): the recipe's opencode.json as the global config`, async () => {
      const inv = await opencode(kind)(drive());
      const config = await json(join(inv.env.XDG_CONFIG_HOME!, "opencode", "opencode.json"));
      expect(config).toMatchObject(opencodeConfig(withSmall, kind));
      expect(inv.env).toMatchObject(keyEnv(target));
      // the config's model is the one it runs
      expect(inv.cmd).not.toContain("--model");
    });
  }

  test("Qwen Code: the recipe's settings.json and the variable envKey names", async () => {
    const inv = await qwenCode(drive());
    expect(await json(join(inv.env.HOME!, ".qwen", "settings.json"))).toMatchObject(
      qwenCodeSettings(target),
    );
    expect(inv.env).toMatchObject(keyEnv(target));
  });
});
