import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfigText, type Env } from "../../src/config";
import { configSecrets } from "../../src/log";
import { issuesOf, MINIMAL, onlyIssue } from "./fixtures/helpers";

/** router_settings.state and its companions → RouterConfig.state. */

/** MINIMAL with `lines` under router_settings, from line 7 on. */
const withState = (lines: string) =>
  MINIMAL.replace("router_settings:\n", `router_settings:\n${lines}`);
const load = (text: string, file = "config.yaml", env: Env = {}) => loadConfigText(text, file, env);

describe("router_settings.state", () => {
  test("a redis:// or rediss:// URL is kept; its password is masked like any secret", () => {
    const config = load(withState("  state: redis://:hunter2-redis-pass@cache.internal:6380/2\n"));
    expect(config.state).toEqual({
      url: "redis://:hunter2-redis-pass@cache.internal:6380/2",
      failure: "open",
      timeoutMs: 50,
    });
    expect(config.secrets).toEqual(["hunter2-redis-pass"]);
    expect(configSecrets(config)).toContain("hunter2-redis-pass");
    expect(load(withState("  state: rediss://redis.example.com\n")).state.url).toBe(
      "rediss://redis.example.com",
    );
  });

  test.each(["redis:/localhost:6379", "http://localhost:6379", "localhost:6379", "redis://"])(
    "%s is refused, without quoting it",
    (url) => {
      expect(onlyIssue(withState(`  state: "${url}"\n`))).toEqual({
        code: "INVALID_VALUE",
        path: "router_settings.state",
        pos: { line: 7, col: 10 },
        message: "state must be a redis:// or rediss:// URL such as redis://localhost:6379/0",
      });
    },
  );

  test("state_failure and state_timeout as given", () => {
    const config = load(withState("  state_failure: closed\n  state_timeout: 0.2\n"));
    expect(config.state).toEqual({ failure: "closed", timeoutMs: 200 });
  });

  test("state_failure is open or closed; state_timeout more than 0, at most 10 seconds", () => {
    const issues = issuesOf(withState("  state_failure: maybe\n  state_timeout: 0\n")).concat(
      issuesOf(withState("  state_timeout: 11\n")),
    );
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ["SCHEMA", "router_settings.state_failure"],
      ["SCHEMA", "router_settings.state_timeout"],
      ["SCHEMA", "router_settings.state_timeout"],
    ]);
    expect(issues[0]!.message).toBe('unknown state_failure "maybe"; expected one of: open, closed');
  });

  test("state_file is resolved against the config file's directory", () => {
    const config = load(withState("  state_file: data/spend.db\n"), "/etc/llm-router/config.yaml");
    expect(config.state.file).toBe(join("/etc/llm-router", "data/spend.db"));
    expect(config.warnings).toEqual([]);
    const absolute = load(withState("  state_file: /var/lib/spend.db\n"), "/etc/config.yaml");
    expect(absolute.state.file).toBe("/var/lib/spend.db");
  });

  test("state_file next to state is a warning: the file is unused", () => {
    const config = load(
      withState("  state: redis://localhost:6379\n  state_file: spend.db\n"),
      "/srv/config.yaml",
    );
    expect(config.warnings).toEqual([
      {
        code: "INVALID_VALUE",
        path: "router_settings.state_file",
        pos: { line: 8, col: 3 },
        message: "state_file is unused: with state set, spend lives in the shared store",
      },
    ]);
  });
});
