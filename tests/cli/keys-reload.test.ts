/**
 * The keys file is reloaded like the config: the router watches its directory too (which may
 * differ from the config's), follows keys_file when a reload names another file, and keeps the
 * previous keys when the new file is invalid.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Options } from "../../src/cli/args";
import { startRouter, type Router } from "../../src/cli/serve";
import { captureLogs, type LogCapture } from "../../src/log";

const root = mkdtempSync(join(tmpdir(), "llm-router-keys-reload-"));
const configDir = join(root, "etc");
const keysDir = join(root, "secrets");
const config = join(configDir, "config.yaml");
const keysFile = join(keysDir, "keys.yaml");
const otherKeysFile = join(keysDir, "other", "keys.yaml");

const configText = (keysPath: string) => `model_list:
  - model_name: m
    llm_params: { api_type: openai, model: x, api_base: "http://127.0.0.1:9/v1" }
router_settings:
  model_groups:
    - name: g
      models: [{ name: m }]
keys_file: ${keysPath}
`;
const keyList = (...names: string[]) =>
  names.map((n) => `- { name: ${n}, secret: sk-${n}-0123456789abcdef }\n`).join("");

let router: Router;
let logs: LogCapture;

beforeAll(async () => {
  mkdirSync(configDir, { recursive: true });
  mkdirSync(join(keysDir, "other"), { recursive: true });
  writeFileSync(config, configText("../secrets/keys.yaml"));
  writeFileSync(keysFile, keyList("a"));
  logs = captureLogs({ level: "warn" });
  const opts: Options = {
    ip: "127.0.0.1",
    port: 0,
    config,
    logLevel: "warn",
    workers: 1,
    json: false,
    checkTimeoutMs: 10_000,
  };
  router = await startRouter(opts, {});
});

afterAll(async () => {
  await router?.shutdown(0);
  logs?.stop();
  rmSync(root, { recursive: true, force: true });
});

const keyNames = () => router.runtime().config.keys.map((k) => k.name);

/** Waits for a condition the watcher brings about; fails with what was last seen. */
async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: still ${JSON.stringify(keyNames())}; logs ${logs.records().map((r) => r.msg)}`,
      );
    await Bun.sleep(20);
  }
}

describe("keys_file reload", () => {
  test("the keys file's own directory is watched: writing it, or renaming a new one over it, reloads", async () => {
    expect(router.runtime().config.keysFile).toBe(keysFile);
    expect(keyNames()).toEqual(["a"]);
    writeFileSync(keysFile, keyList("a", "b"));
    await until("b added", () => keyNames().includes("b"));
    expect(keyNames()).toEqual(["a", "b"]);

    const fresh = join(keysDir, "keys.yaml.new");
    writeFileSync(fresh, keyList("c"));
    renameSync(fresh, keysFile);
    await until("the renamed file loaded", () => keyNames().join() === "c");
  });

  test("an invalid keys file keeps the previous keys, and the error names the keys file and line:col", async () => {
    const before = keyNames();
    const failures = () => logs.records().filter((r) => r.msg.startsWith("reload failed"));
    const seen = failures().length;
    writeFileSync(
      keysFile,
      `${keyList("d")}- { name: e, secret: sk-e-0123456789abcdef, rpm: 0 }\n`,
    );
    await until("a reload failure", () => failures().length > seen);
    expect(String(failures().at(-1)!.error)).toContain(`${keysFile}:2:`);
    expect(keyNames()).toEqual(before);
  });

  test("a reload that names another keys file watches that one from then on", async () => {
    writeFileSync(otherKeysFile, keyList("x"));
    writeFileSync(config, configText("../secrets/other/keys.yaml"));
    await until("the other file loaded", () => keyNames().join() === "x");
    expect(router.runtime().config.keysFile).toBe(otherKeysFile);
    writeFileSync(otherKeysFile, keyList("x", "y"));
    await until("y added", () => keyNames().join() === "x,y");
  });
});
