/**
 * `llm-router keys new` and `keys hash`: a fresh secret whose printed hash and snippet the loader
 * accepts as that secret, and the hash of a given secret, from the argument or from stdin.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { UsageError } from "../../src/cli/args";
import { runKeys, type KeysIO } from "../../src/cli/keys";
import { loadConfigText } from "../../src/config";
import { MINIMAL } from "../config/fixtures/helpers";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

async function run(
  args: string[],
  stdin = "",
): Promise<{ code: number; out: string; prompted: string }> {
  let out = "";
  let prompted = "";
  const io: KeysIO = {
    out: (s) => (out += s),
    readStdin: async () => stdin,
    prompt: (s) => (prompted += s),
  };
  const code = await runKeys(args, io);
  return { code, out, prompted };
}

async function usageError(args: string[]): Promise<string> {
  const err = await runKeys(args, { out: () => {}, readStdin: async () => "" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return (err as Error).message;
}

describe("keys new", () => {
  test("prints a 32-byte base64url secret with its prefix, its sha256: form and a snippet the loader takes", async () => {
    const { code, out } = await run(["new", "--name", "team-a"]);
    expect(code).toBe(0);
    const secret = /^secret: (sk-llmr-[A-Za-z0-9_-]{43})$/m.exec(out)![1]!;
    expect(Buffer.from(secret.slice("sk-llmr-".length), "base64url")).toHaveLength(32);
    expect(out).toContain(`\nhash:   sha256:${sha256(secret)}\n`);

    const snippet = out.slice(out.indexOf("\nkeys:\n") + 1);
    expect(snippet).not.toContain(secret);
    const config = loadConfigText(MINIMAL + snippet, "config.yaml", {});
    expect(config.keys.map((k) => [k.name, k.digest])).toEqual([["team-a", sha256(secret)]]);
    expect(config.warnings).toEqual([]);
  });

  test("every secret is new", async () => {
    const secrets = await Promise.all(
      [1, 2, 3].map(async () => /^secret: (\S+)$/m.exec((await run(["new", "--name=a"])).out)![1]),
    );
    expect(new Set(secrets).size).toBe(3);
  });

  test("a name is required, and admin is the router token's", async () => {
    expect(await usageError(["new"])).toBe("keys new needs --name <name>");
    expect(await usageError(["new", "--name", "admin"])).toContain('"admin" is reserved');
    expect(await usageError(["new", "--name", "a", "--bogus"])).toBe(
      "unknown option --bogus (see llm-router keys new --help)",
    );
  });
});

describe("keys hash", () => {
  const SECRET = "sk-llmr-some-secret-0123456789";

  test("the argument's sha256: form, as the loader computes it", async () => {
    const { code, out, prompted } = await run(["hash", SECRET]);
    expect(code).toBe(0);
    expect(out).toBe(`sha256:${sha256(SECRET)}\n`);
    expect(prompted).toBe("");
    const config = loadConfigText(
      `${MINIMAL}keys:\n  - { name: a, secret: "${out.trim()}" }\n`,
      "config.yaml",
      {},
    );
    const plain = loadConfigText(`${MINIMAL}keys:\n  - { name: a, secret: ${SECRET} }\n`, "c", {});
    expect(config.keys[0]!.digest).toBe(plain.keys[0]!.digest);
  });

  test("with - or no argument the secret comes from stdin, without its final newline", async () => {
    for (const args of [["hash"], ["hash", "-"]]) {
      const { out, prompted } = await run(args, `${SECRET}\n`);
      expect(out).toBe(`sha256:${sha256(SECRET)}\n`);
      expect(prompted).toContain("standard input");
    }
    expect((await run(["hash"], `${SECRET}\r\n`)).out).toBe(`sha256:${sha256(SECRET)}\n`);
    // Only the one newline a pipe adds: a secret's own whitespace is part of it.
    expect((await run(["hash"], ` ${SECRET}\n\n`)).out).toBe(`sha256:${sha256(` ${SECRET}\n`)}\n`);
  });

  test("an empty secret, a hash given as the secret, or extra arguments are usage errors", async () => {
    expect(await usageError(["hash", ""])).toBe("the secret is empty");
    expect(await usageError(["hash", `sha256:${sha256(SECRET)}`])).toContain("already");
    expect(await usageError(["hash", "a", "b"])).toStartWith('unexpected argument "b"');
  });
});

describe("the command line", () => {
  const main = join(import.meta.dir, "../../src/main.ts");
  const cli = async (args: string[], stdin?: string) => {
    const p = Bun.spawn([process.execPath, main, ...args], {
      stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    return { stdout, stderr, code };
  };

  test("--help lists keys; keys --help lists new and hash", async () => {
    const help = await cli(["--help"]);
    expect(help.stdout).toMatch(
      /^ {2}keys {5}Make a new client key, or hash a secret for the config/m,
    );
    const keys = await cli(["keys", "--help"]);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toMatch(/^ +new +Print a fresh random secret/m);
    expect(keys.stdout).toMatch(/^ +hash +Print the sha256: form of a secret/m);
    // Laid out like the main help (clap's): usage line, left-aligned columns, no padding.
    expect(keys.stdout).toContain("Usage: llm-router keys <COMMAND>");
    expect(keys.stdout).toMatch(/^ {2}new {3}Print/m);
    for (const sub of ["new", "hash"]) {
      const page = await cli(["keys", sub, "--help"]);
      expect(page.code).toBe(0);
      expect(page.stdout).toContain(`Usage: llm-router keys ${sub} `);
      expect(page.stdout).toMatch(/^Options:\n/m);
      expect(page.stdout.split("\n").filter((l) => l !== l.trimEnd())).toEqual([]);
      expect(page.stdout).not.toContain("\x1b[");
    }
  });

  test("keys hash reads a piped secret; a bare keys is a usage error (exit 2)", async () => {
    const hashed = await cli(["keys", "hash"], "piped-secret-0123456789\n");
    expect(hashed).toEqual({
      stdout: `sha256:${sha256("piped-secret-0123456789")}\n`,
      stderr: "",
      code: 0,
    });
    const bare = await cli(["keys"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("usage: llm-router keys new --name <NAME>");
  });
});
