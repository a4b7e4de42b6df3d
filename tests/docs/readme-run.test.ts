import { afterAll, describe, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ON_LINUX_X64, waitFor } from "../process/binary";
import { docBlock, ROOT } from "./blocks";

/**
 * The README's shell blocks, run as a reader would run them: the quick start's `npm start` on the
 * shipped config.yaml and the first request against it, the build, and the release check.
 * (`npm install` is what CI does first, as `npm ci`, and `npm test` is CI's test command.)
 */

/** The commands of a shell block, comments and blank lines dropped. */
function commands(code: string): string[] {
  return code
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a block's text with bash (-e: the first failing command fails it), in a clean environment. */
function bash(script: string, cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-e", "-c", script], {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? cwd, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const started: ChildProcess[] = [];
/** Each started command leads a process group of its own (npm → sh → bun), ended whole. */
function endGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // ESRCH: the group has already gone.
  }
}
afterAll(() => started.forEach((c) => endGroup(c, "SIGKILL")));

describe("quick start", () => {
  test("`npm start` serves the shipped config.yaml, and the first request says which key to set", async () => {
    expect(commands(docBlock("quick-start").code)).toEqual([
      "npm install && npm start",
      "npm test",
    ]);
    const pkg = (await Bun.file(join(ROOT, "package.json")).json()) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.test).toBeDefined();
    // On a port of its own: a reader who follows the quick start has `npm start` holding 8000
    // while `npm test` runs, and this test must not need it. The first request goes there too.
    const child = spawn("npm", ["start", "--", "-p", "0"], {
      cwd: ROOT,
      // No provider keys: what a reader has before setting any.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? ROOT },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    started.push(child);
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    try {
      const port = await waitFor(
        "the listening line",
        () => /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(out)?.[1],
        30_000,
      );
      expect(out).toContain("api_key not set for gpt-4o-mini, claude-sonnet, gemini-flash");

      const request = docBlock("first-request").code;
      expect(request).toContain("localhost:8000/");
      const first = await bash(request.replaceAll("localhost:8000/", `localhost:${port}/`), ROOT);
      expect(first.code).toBe(0);
      const answer = JSON.parse(first.stdout) as { error: { message: string } };
      expect(answer.error.message).toContain("model gpt-4o-mini has no API key");
      expect(answer.error.message).toContain("OPENAI_API_KEY");
    } finally {
      endGroup(child);
    }
    // npm itself ends by the signal; what matters is that nothing of the group is left running.
    await exited;
  }, 60_000);
});

describe.skipIf(!ON_LINUX_X64)("build and release check", () => {
  test("the build block writes the binary and SHA256SUMS, and the install block verifies and runs it", async () => {
    const build = await bash(docBlock("build").code, ROOT);
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    const dist = join(ROOT, "dist");
    expect(existsSync(join(dist, "SHA256SUMS"))).toBe(true);

    // A home of its own: the block installs into ~/.local/bin and then finds it on the PATH.
    const home = await mkdtemp(join(tmpdir(), "readme-home-"));
    const verify = docBlock("verify-release").code;
    const path = `${home}/.local/bin:${process.env.PATH ?? "/usr/bin:/bin"}`;
    const ran = await bash(verify, dist, { HOME: home, PATH: path });
    await rm(home, { recursive: true, force: true });
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^llm-router-linux-x64: OK$/m);
    expect(ran.stdout).toMatch(/^llm-router \d+\.\d+\.\d+/m);

    // The macOS form in the block's comment reads the same file (shasum ships with perl).
    const mac = /# macOS: (shasum .*)$/m.exec(verify)?.[1];
    expect(mac).toBeDefined();
    const shasum = await bash(mac!, dist);
    expect(shasum.code).toBe(0);
    expect(shasum.stdout).toContain("llm-router-linux-x64: OK");
  }, 120_000);

  test("SHA256SUMS lists only what that build made, not files left in the folder", async () => {
    const out = await mkdtemp(join(tmpdir(), "readme-build-"));
    try {
      await writeFile(join(out, "llm-router-darwin-arm64"), "left by an older build");
      const ran = await bash(
        `"${process.execPath}" build.ts --target linux-x64 --outdir ${out}`,
        ROOT,
      );
      expect(ran.code).toBe(0);
      const sums = await Bun.file(join(out, "SHA256SUMS")).text();
      expect(sums).toMatch(/^[0-9a-f]{64} {2}llm-router-linux-x64\n$/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);

  test("a binary that does not match SHA256SUMS fails the check", async () => {
    // The block is only worth running if the check can fail: flip the recorded sum.
    const dist = join(ROOT, "dist");
    const sums = await Bun.file(join(dist, "SHA256SUMS")).text();
    const line = sums.split("\n").find((l) => l.endsWith("  llm-router-linux-x64"))!;
    const wrong = `${line[0] === "0" ? "1" : "0"}${line.slice(1)}\n`;
    const ran = await bash(`sha256sum --check --ignore-missing - <<'EOF'\n${wrong}EOF`, dist);
    expect(ran.code).not.toBe(0);
    expect(ran.stdout).toContain("FAILED");
  });
});

test("the help block is what `llm-router --help` prints, below its first line", async () => {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "--help"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  const [, blank, ...rest] = out.split("\n");
  expect(blank).toBe("");
  expect(docBlock("help").code.trimEnd()).toBe(rest.join("\n").trimEnd());
});
