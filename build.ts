#!/usr/bin/env bun
/**
 * Builds the self-contained llm-router executables.
 *
 *   bun build.ts                        every release target into dist/
 *   bun build.ts --target linux-x64     one target (repeatable; `current` = this machine)
 *   bun build.ts --outdir /tmp/x        somewhere other than dist/
 *
 * Every run ends by writing SHA256SUMS beside the binaries it built, in the form
 * `sha256sum --check` and `shasum -a 256 --check` read, so a downloaded release can be verified.
 *
 * Cross-compiling needs no toolchain: Bun fetches each target's runtime from the npm registry
 * on first use and caches it.
 */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import pkg from "./package.json" with { type: "json" };

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64"] as const;
type Target = (typeof TARGETS)[number];

const ROOT = import.meta.dir;
const ENTRY = join(ROOT, "src/main.ts");

const USAGE = `usage: bun build.ts [--target ${TARGETS.join("|")}|current|all]... [--outdir dir]\n`;

function usage(message: string): never {
  process.stderr.write(`build.ts: ${message}\n${USAGE}`);
  process.exit(2);
}

function currentTarget(): Target {
  const name = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  if (!(TARGETS as readonly string[]).includes(name))
    usage(`no release target for this machine (${name})`);
  return name as Target;
}

function parseArgs(argv: string[]): { targets: Target[]; outdir: string } {
  const picked = new Set<Target>();
  let outdir = join(ROOT, "dist");
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === "--target") {
      const t = value();
      if (t === "all") TARGETS.forEach((x) => picked.add(x));
      else if (t === "current") picked.add(currentTarget());
      else if ((TARGETS as readonly string[]).includes(t)) picked.add(t as Target);
      else usage(`unknown target "${t}"`);
    } else if (flag === "--outdir") {
      outdir = resolve(value());
    } else if (flag === "--help" || flag === "-h") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else {
      usage(`unknown option ${flag}`);
    }
  }
  return { targets: picked.size > 0 ? [...picked] : [...TARGETS], outdir };
}

/** `0.1.0+59460e3`: semver build metadata, so `--version` in a bug report names the exact commit. */
function buildVersion(): string {
  try {
    const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      stderr: "ignore",
    });
    const commit = git.success ? git.stdout.toString().trim() : "";
    return commit ? `${pkg.version}+${commit}` : pkg.version;
  } catch {
    // No git binary (e.g. building from a source tarball): the package version alone is still right.
    return pkg.version;
  }
}

function outName(target: Target): string {
  return `llm-router-${target}${target.startsWith("windows") ? ".exe" : ""}`;
}

async function buildOne(target: Target, outdir: string, version: string): Promise<string> {
  const outfile = join(outdir, outName(target));
  const result = await Bun.build({
    // The selector worker runs in its own thread, so it must be an entry point of its own.
    entrypoints: [ENTRY, join(ROOT, "src/balance/selectors/worker.ts")],
    target: "bun",
    compile: {
      target: `bun-${target}`,
      outfile,
      // A stray .env or bunfig.toml in whatever directory the service starts from must not
      // change a production binary's behaviour or leak variables into `${VAR}` interpolation.
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    define: { LLM_ROUTER_VERSION: JSON.stringify(version) },
    // Identifiers stay unminified: stack traces and logged error names keep real function and class
    // names, for about 0.2% of the binary's size (the Bun runtime itself is ~100 MiB).
    minify: { whitespace: true, syntax: true, identifiers: false },
    // With compile the map is embedded in the executable, so traces name src/ files and lines wherever it runs.
    sourcemap: "linked",
    throw: false,
  });
  if (!result.success) {
    throw new Error(
      result.logs.map((l) => String(l)).join("\n") || "Bun.build failed without a message",
    );
  }
  // Bun also writes the map beside the binary; it is a redundant copy, and shipping it would only confuse.
  await Promise.all(
    result.outputs.filter((o) => o.kind === "sourcemap").map((o) => rm(o.path, { force: true })),
  );
  return outfile;
}

/**
 * Streams each binary this run built through SHA-256 (they are ~100 MiB each) and writes
 * `<hex>  <name>` lines. Only this run's: a file left in outdir by an earlier build, or by a
 * target that failed now, must not be vouched for as part of this release.
 */
async function writeChecksums(outdir: string, files: string[]): Promise<string> {
  const lines: string[] = [];
  for (const file of [...files].sort()) {
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of Bun.file(file).stream()) hasher.update(chunk);
    lines.push(`${hasher.digest("hex")}  ${basename(file)}`);
  }
  const sums = join(outdir, "SHA256SUMS");
  await writeFile(sums, lines.map((l) => `${l}\n`).join(""));
  return sums;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const { targets, outdir } = parseArgs(process.argv.slice(2));
  const version = buildVersion();
  await mkdir(outdir, { recursive: true });
  process.stdout.write(`llm-router ${version}: building ${targets.join(", ")} into ${outdir}\n`);
  let failed = 0;
  const built: string[] = [];
  // One at a time: each compile holds a whole runtime in memory, and the first use of a target downloads it.
  for (const target of targets) {
    const started = performance.now();
    try {
      const file = await buildOne(target, outdir, version);
      built.push(file);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(`  ${file}  ${mib((await stat(file)).size)}  (${seconds} s)\n`);
    } catch (err) {
      failed++;
      process.stderr.write(
        `  ${target}: FAILED\n${String((err as Error).message ?? err).replace(/^/gm, "    ")}\n`,
      );
    }
  }
  // Written even when a target failed, so the sums never describe binaries that were replaced.
  const sums = await writeChecksums(outdir, built);
  process.stdout.write(`  ${sums}\n`);
  if (failed > 0) {
    process.stderr.write(`${failed} of ${targets.length} target(s) failed\n`);
    process.exit(1);
  }
}

await main();
