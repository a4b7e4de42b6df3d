import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError, loadConfigText, type ConfigIssue, type Env } from "../../src/config";
import { MINIMAL } from "./fixtures/helpers";

/** keys_file: read with the config, relative to its directory; its findings name it and its own line:col. */

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const SECRET_A = "sk-llmr-team-a-0123456789abcdef";
const SECRET_B = "sk-llmr-team-b-0123456789abcdef";

const root = mkdtempSync(join(tmpdir(), "llm-router-keys-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface Setup {
  /** The config's path. */
  config: string;
  dir: string;
  text: string;
}

/** A fresh directory with config.yaml (MINIMAL plus `extra`, so `extra` starts at line 11) and `files`. */
function prepared(extra: string, files: Record<string, string>): Setup {
  const dir = join(root, String(n++));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const config = join(dir, "config.yaml");
  const text = MINIMAL + extra;
  writeFileSync(config, text);
  return { config, dir, text };
}

const load = (s: Setup, env: Env = {}) => loadConfigText(s.text, s.config, env);

function rejected(s: Setup, env: Env = {}): ConfigError {
  try {
    load(s, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected the config to be rejected");
}

describe("keys_file", () => {
  test("a list of keys, relative to the config's directory, added after keys:", () => {
    const setup = prepared(
      `keys:\n  - { name: inline, secret: ${SECRET_A} }\nkeys_file: keys/team.yaml\n`,
      {
        "keys/team.yaml": `# handed out by ops\n- name: from-file\n  secret: ${SECRET_B}\n  rpm: 10\n`,
      },
    );
    const loaded = load(setup);
    expect(loaded.keysFile).toBe(join(setup.dir, "keys", "team.yaml"));
    expect(loaded.keys).toEqual([
      { name: "inline", digest: sha256(SECRET_A), pos: { line: 12, col: 5 } },
      {
        name: "from-file",
        digest: sha256(SECRET_B),
        rpm: 10,
        pos: { line: 2, col: 3 },
        file: join(setup.dir, "keys", "team.yaml"),
      },
    ]);
    expect(loaded.secrets).toEqual([SECRET_A, SECRET_B]);
  });

  test("a mapping with keys: holding the list, and ${VAR} interpolation as in the config", () => {
    const setup = prepared("keys_file: keys.yaml\n", {
      "keys.yaml": 'keys:\n  - name: a\n    secret: "${TEAM_A_KEY}"\n',
    });
    const loaded = load(setup, { TEAM_A_KEY: SECRET_A });
    expect(loaded.keys.map((k) => [k.name, k.digest])).toEqual([["a", sha256(SECRET_A)]]);
    expect(loaded.secrets).toEqual([SECRET_A]);
  });

  test("an empty keys file has no keys", () => {
    const setup = prepared("keys_file: keys.yaml\n", { "keys.yaml": "# none yet\n" });
    expect(load(setup).keys).toEqual([]);
  });

  test("errors in the keys file name it and its line:col, in the same ConfigError as the config's", () => {
    const setup = prepared("keys_file: keys.yaml\nunknown_top: 1\nkeys: 3\n", {
      "keys.yaml": `- name: a\n  secret: ${SECRET_A}\n  rpm: fast\n- name: b\n  secret: "\${UNSET_KEY}"\n`,
    });
    const keys = join(setup.dir, "keys.yaml");
    const err = rejected(setup);
    expect(err.issues).toEqual([
      {
        code: "SCHEMA",
        path: "keys",
        pos: { line: 13, col: 7 },
        message: "expected a list of keys",
      },
      {
        code: "SCHEMA",
        path: "[0].rpm",
        pos: { line: 3, col: 8 },
        message: 'expected a positive integer, got the string "fast"',
        file: keys,
      },
      {
        code: "ENV_VAR",
        path: "[1].secret",
        pos: { line: 5, col: 11 },
        message: expect.stringContaining("environment variable UNSET_KEY is not set"),
        file: keys,
      },
    ]);
    const lines = err.message.split("\n");
    expect(lines[0]).toStartWith(`${setup.config}:13:7: keys: expected a list of keys [SCHEMA]`);
    expect(lines[1]).toStartWith(`${keys}:3:8: [0].rpm: expected a positive integer`);
    expect(lines[2]).toStartWith(`${keys}:5:11: [1].secret: environment variable UNSET_KEY`);
  });

  test("warnings in the keys file name it too", () => {
    const setup = prepared("keys_file: keys.yaml\n", {
      "keys.yaml": `keys:\n  - name: a\n    secret: ${SECRET_A}\n    max_paralel: 2\n`,
    });
    expect(load(setup).warnings).toEqual([
      {
        code: "UNKNOWN_KEY",
        path: "keys[0].max_paralel",
        pos: { line: 4, col: 5 },
        message: 'unknown key "max_paralel" (ignored); did you mean "max_parallel"?',
        file: join(setup.dir, "keys.yaml"),
      },
    ]);
  });

  test("a missing keys file is reported at keys_file in the config", () => {
    const setup = prepared("keys_file: nowhere.yaml\n", {});
    expect(rejected(setup).issues).toEqual([
      {
        code: "FILE",
        path: "keys_file",
        pos: { line: 11, col: 12 },
        message: `cannot read the keys file ${join(setup.dir, "nowhere.yaml")}: no such file`,
      },
    ]);
  });

  test("a syntax error in the keys file quotes none of its text", () => {
    const setup = prepared("keys_file: keys.yaml\n", {
      // The unquoted ${A} breaks the flow mapping; the parser then quotes every token after it.
      "keys.yaml": `- { name: a, secret: \${A} }\n- { name: b, secret: ${SECRET_B} }\n`,
    });
    const issues = rejected(setup).issues;
    expect(issues.length).toBeGreaterThan(0);
    expect(JSON.stringify(issues)).not.toContain(SECRET_B);
  });

  test("a syntax error in the keys file is reported with its position", () => {
    const setup = prepared("keys_file: keys.yaml\n", {
      "keys.yaml": "- name: a\n  secret: [unclosed\n",
    });
    const issues = rejected(setup).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues)
      expect(i).toMatchObject({ code: "YAML_SYNTAX", file: join(setup.dir, "keys.yaml") });
  });

  test("a keys file that is neither a list nor a mapping is refused without quoting it", () => {
    const setup = prepared("keys_file: keys.yaml\n", { "keys.yaml": `${SECRET_A}\n` });
    const [issue] = rejected(setup).issues as [ConfigIssue];
    expect(issue).toMatchObject({ code: "SCHEMA", path: "", pos: { line: 1, col: 1 } });
    expect(issue.message).toBe(
      "a keys file holds a list of keys, or a mapping whose keys: holds that list",
    );
  });

  test("a name or secret used in both files names the other file's line:col", () => {
    const setup = prepared(`keys:\n  - { name: a, secret: ${SECRET_A} }\nkeys_file: keys.yaml\n`, {
      "keys.yaml": `- { name: a, secret: ${SECRET_B} }\n- { name: b, secret: ${SECRET_A} }\n`,
    });
    const keys = join(setup.dir, "keys.yaml");
    expect(rejected(setup).issues).toEqual([
      {
        code: "DUPLICATE_NAME",
        path: "[0].name",
        pos: { line: 1, col: 11 },
        message: `duplicate key name "a" (first defined at ${setup.config}:12:13)`,
        file: keys,
      },
      {
        code: "DUPLICATE_NAME",
        path: "[1].secret",
        pos: { line: 2, col: 22 },
        message: 'keys "a" and "b" have the same secret; each key needs its own',
        file: keys,
      },
    ]);
  });
});
