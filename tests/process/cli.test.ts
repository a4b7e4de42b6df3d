/**
 * The command line refuses what it does not understand: a stray argument is a usage error (exit 2)
 * instead of a server started on ./config.yaml, `explain --help` is help, `explain` rejects unknown
 * flags and extra arguments, and the main help lists `explain`. Run as the shipped binary.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { configYaml, createLab, modelYaml, ON_LINUX_X64, type Lab } from "./binary";

setDefaultTimeout(60_000);

let lab: Lab;

beforeAll(async () => {
  lab = await createLab("cli");
  // A valid ./config.yaml where the binary runs: a command line that fell back to it would serve.
  await writeFile(
    join(lab.dir, "config.yaml"),
    configYaml([modelYaml("m", "openai", "http://127.0.0.1:9/v1", "sk-cli-test-key")], {
      gpt: ["m"],
    }),
  );
  await writeFile(
    join(lab.dir, "body.json"),
    JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "hi" }] }),
  );
  // Codex's shape: items, not messages.
  await writeFile(
    join(lab.dir, "responses.json"),
    JSON.stringify({ model: "gpt", input: [{ role: "user", content: "hi" }], stream: true }),
  );
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
});

/** Runs to completion; a run that starts serving instead is killed after 5 s and shows up as such. */
const run = (args: string[]) => lab.run(args, { killAfterMs: 5_000 });

describe.skipIf(!ON_LINUX_X64)("the command line", () => {
  test.each([
    [["other.yaml"], /unexpected argument "other\.yaml"; for a config file, use -c other\.yaml/],
    [["version"], /unexpected argument "version"; did you mean --version\?/],
    [["-c", "config.yaml", "serve"], /unexpected argument "serve"/],
    [["--", "config.yaml"], /unexpected argument "config\.yaml"/],
  ])(
    "llm-router %p is a usage error (exit 2), not a server on ./config.yaml",
    async (args, message) => {
      const r = await run(["-i", "127.0.0.1", "-p", "0", ...args]);
      expect(r.stdout).not.toContain("listening");
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.code).toBe(2);
    },
  );

  test("-V is --version; --help is laid out as clap lays it out: aligned columns, no trailing spaces", async () => {
    const v = await run(["-V"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe((await run(["--version"])).stdout);
    const help = (await run(["--help"])).stdout;
    expect(help).toMatch(/^Usage: llm-router \[OPTIONS\]$/m);
    expect(help).toContain("  -V, --version");
    expect(help).not.toMatch(/ $/m);
    // Every option's description starts in one column.
    const options = help
      .slice(help.indexOf("Options:\n") + 9)
      .split("\n\n")[0]!
      .split("\n");
    const columns = new Set(options.map((l) => /^ +\S.*?\S {2,}(?=\S)/.exec(l)![0].length));
    expect(columns.size).toBe(1);
  });

  test("--help lists explain", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\nCommands:\n");
    expect(r.stdout).toMatch(/^ {2}explain {2}Show how the router would route a request body/m);
  });

  test.each([[["--help"]], [["-h"]], [["gpt", "--help"]]])(
    "explain %p prints its help and exits 0",
    async (args: string[]) => {
      const r = await run(["explain", ...args]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("Usage: llm-router explain [OPTIONS] <GROUP> <BODY>");
      expect(r.stdout).toContain("--format");
      expect(r.code).toBe(0);
    },
  );

  test.each([
    [["gpt", "body.json", "--bogus"], /unknown option --bogus \(see llm-router explain --help\)/],
    [["gpt", "body.json", "--port", "1"], /unknown option --port/],
    [["gpt", "body.json", "extra.json"], /unexpected argument "extra\.json"/],
    [["gpt"], /usage: llm-router explain <group> <body\.json>/],
  ])("explain %p is a usage error (exit 2)", async (args, message) => {
    const r = await run(["explain", ...args]);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toMatch(message);
    expect(r.code).toBe(2);
  });

  test("explain with what it takes still explains", async () => {
    const r = await run(["explain", "gpt", "body.json", "-c", "config.yaml", "--json"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({
      group: "gpt",
      format: "openai",
      members: [{ model: "m", rank: 1 }],
    });
    expect(r.code).toBe(0);
  });

  test("explain knows a Responses body by its shape, and takes --format responses", async () => {
    const found = await run(["explain", "gpt", "responses.json", "--json"]);
    const told = await run(["explain", "gpt", "responses.json", "--json", "--format", "responses"]);
    for (const r of [found, told]) {
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toMatchObject({ group: "gpt", format: "responses" });
      expect(r.code).toBe(0);
    }
  });
});
