/**
 * The shipped artefact, end to end: build the linux-x64 executable with build.ts, then drive it
 * the way a user or systemd would (flags, exit codes, a real request through it, SIGTERM).
 * Source-level tests cannot catch what only the compiler changes: defines, autoloading, bundling.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtemp, rm, writeFile, mkdir, exists } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { ARGS } from "../src/cli/args";

const ROOT = join(import.meta.dir, "..");
const ON_LINUX_X64 = process.platform === "linux" && process.arch === "x64";
const ANSI = /\x1b\[[0-9;]*m/g;

// Set here because Bun 1.4.5 ignores bunfig's [test] timeout; each test below must outlive run()'s kill timer.
setDefaultTimeout(15_000);

const GROUP = "grp";
const UPSTREAM_MODEL = "upstream-model";
const UPSTREAM_KEY = "sk-upstream-test";
const ROUTER_TOKEN = "router-token-test";

let work = "";
let binary = "";
// Every process this file starts, so afterAll can stop exactly those even when a test failed midway.
const started = new Set<Bun.Subprocess>();

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
}
const upstreamRequests: Recorded[] = [];
let upstream: ReturnType<typeof Bun.serve> | undefined;

/** A clean environment: a developer's LLM_ROUTER_TOKEN or API keys must not leak into the binary. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, ...extra };
}

function spawn(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Bun.Subprocess<"ignore", "pipe", "pipe"> {
  const proc = Bun.spawn([binary, ...args], {
    cwd: opts.cwd ?? work,
    env: opts.env ?? env(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  started.add(proc);
  proc.exited.then(() => started.delete(proc));
  return proc;
}

/** Runs the binary to completion; a run that hangs is killed so the test fails instead of timing out blind. */
async function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const proc = spawn(args, opts);
  const timer = setTimeout(() => proc.kill("SIGKILL"), 8_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout: stdout.replace(ANSI, ""), stderr: stderr.replace(ANSI, "") };
}

async function firstLine(stream: ReadableStream<Uint8Array>, ms: number): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Bun.sleep(ms).then(() => null);
  try {
    while (!text.includes("\n")) {
      const chunk = await Promise.race([reader.read(), deadline]);
      if (chunk === null)
        throw new Error(`no complete line on stdout within ${ms} ms (got ${JSON.stringify(text)})`);
      if (chunk.done)
        throw new Error(`stdout closed before a complete line (got ${JSON.stringify(text)})`);
      text += dec.decode(chunk.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n"));
}

function configFor(apiKey: string): string {
  return [
    "model_list:",
    "  - model_name: up",
    `    llm_params: { api_type: openai, model: ${UPSTREAM_MODEL}, api_base: "http://127.0.0.1:${upstream!.port}/v1", api_key: "${apiKey}" }`,
    "router_settings:",
    "  model_groups:",
    `    - name: ${GROUP}`,
    "      models: [{ name: up }]",
    "",
  ].join("\n");
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "llm-router-binary-"));
  if (!ON_LINUX_X64) return;
  const build = Bun.spawn(
    [process.execPath, "build.ts", "--target", "linux-x64", "--outdir", join(work, "bin")],
    {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  started.add(build);
  const [out, err, code] = await Promise.all([
    new Response(build.stdout).text(),
    new Response(build.stderr).text(),
    build.exited,
  ]);
  started.delete(build);
  if (code !== 0) throw new Error(`build.ts failed with exit ${code}\n${out}\n${err}`);
  binary = join(work, "bin", "llm-router-linux-x64");

  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body: any = req.method === "POST" ? await req.json().catch(() => null) : null;
      upstreamRequests.push({
        method: req.method,
        path: url.pathname,
        headers: Object.fromEntries(req.headers),
        body,
      });
      if (req.method !== "POST" || url.pathname !== "/v1/chat/completions")
        return new Response("not found", { status: 404 });
      return Response.json({
        id: "chatcmpl-test",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body?.model ?? UPSTREAM_MODEL,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "hello from upstream" },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
      });
    },
  });
}, 120_000);

afterAll(async () => {
  for (const proc of started) proc.kill("SIGKILL");
  await Promise.all([...started].map((p) => p.exited));
  upstream?.stop(true);
  if (work) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!ON_LINUX_X64)("compiled linux-x64 binary", () => {
  test("--help lists every flag and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    // Taken from the CLI definition so a flag added later is covered without editing this test.
    for (const [name, def] of Object.entries(ARGS)) {
      expect(r.stdout).toContain("alias" in def ? `-${def.alias}, --${name}` : `--${name}`);
    }
  });

  test("--version prints the package version with the build's commit", async () => {
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    // The commit suffix is optional: a build outside a git checkout has only the package version.
    expect(r.stdout).toMatch(
      new RegExp(`^llm-router ${pkg.version.replaceAll(".", "\\.")}(\\+[0-9a-f]+)?\\n$`),
    );
  });

  test("an invalid flag value is one line on stderr and exit 2", async () => {
    const r = await run(["--port", "abc"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--port");
  });

  test("an invalid config exits 2 and points at file:line:col", async () => {
    const file = join(work, "bad.yaml");
    await writeFile(file, configFor("x").replace("api_type: openai", "api_type: openia"));
    const r = await run(["-c", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:`);
    expect(r.stderr).toMatch(/bad\.yaml:3:\d+: .*api_type.*openia/);
  });

  test("a selector that is not valid jq exits 2 before listening, naming the selector's place", async () => {
    const file = join(work, "bad-selector.yaml");
    await writeFile(
      file,
      configFor("k").replace(
        "models: [{ name: up }]",
        'models: [{ name: up, selector: ".messages | lenght > 2" }]',
      ),
    );
    const r = await run(["-i", "127.0.0.1", "-p", "0", "-c", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain("listening");
    expect(r.stderr).toMatch(/bad-selector\.yaml:7:\d+: .*selector.* does not compile/);
    expect(r.stderr).toContain("lenght");
  });

  test("ignores .env and bunfig.toml in its working directory", async () => {
    const dir = join(work, "autoload");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, ".env"),
      `LLMR_DOTENV_PROBE=from-dotenv\nLLM_ROUTER_TOKEN=from-dotenv\n`,
    );
    // If bunfig were read, this preload would run before main and leave a marker file.
    await writeFile(
      join(dir, "probe.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(join(dir, "bunfig-ran"))}, "x");\n`,
    );
    await writeFile(join(dir, "bunfig.toml"), `preload = ["./probe.ts"]\n`);
    await writeFile(join(dir, "config.yaml"), configFor("${LLMR_DOTENV_PROBE}"));

    const r = await run(["-i", "127.0.0.1", "-p", "0", "-c", "config.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("LLMR_DOTENV_PROBE is not set");
    expect(await exists(join(dir, "bunfig-ran"))).toBe(false);
  });

  test("serves a real request through to the upstream and stops cleanly on SIGTERM", async () => {
    const file = join(work, "config.yaml");
    // The key comes from the process environment, the way the systemd unit's EnvironmentFile supplies it.
    await writeFile(file, configFor("${LLMR_TEST_UPSTREAM_KEY}"));
    const proc = spawn(["-i", "127.0.0.1", "-p", "0", "-c", file], {
      env: env({ LLMR_TEST_UPSTREAM_KEY: UPSTREAM_KEY, LLM_ROUTER_TOKEN: ROUTER_TOKEN }),
    });
    const stderr = new Response(proc.stderr).text();

    let line: string;
    try {
      line = await firstLine(proc.stdout, 10_000);
    } catch (err) {
      proc.kill("SIGKILL");
      throw new Error(`${(err as Error).message}\nstderr: ${await stderr}`);
    }
    const m = line.match(
      /^llm-router (\S+) listening on (http:\/\/127\.0\.0\.1:(\d+)) \((\d+) groups: ([^;]*); (\d+) models\)$/,
    );
    expect(m, `listening line: ${line}`).not.toBeNull();
    const [, version, origin, , groups, names, models] = m!;
    expect(version).toStartWith(pkg.version);
    expect(groups).toBe("1");
    expect(names).toBe(GROUP);
    expect(models).toBe("1");

    const request = { model: GROUP, messages: [{ role: "user", content: "hi" }] };
    const post = (headers: Record<string, string>) =>
      fetch(`${origin}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(request),
      });

    const denied = await post({});
    expect(denied.status).toBe(401);
    await denied.body?.cancel();
    expect(upstreamRequests).toHaveLength(0);

    const res = await post({ authorization: `Bearer ${ROUTER_TOKEN}` });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe(GROUP);
    expect(body.choices[0].message.content).toBe("hello from upstream");

    expect(upstreamRequests).toHaveLength(1);
    const seen = upstreamRequests[0]!;
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/v1/chat/completions");
    expect(seen.body.model).toBe(UPSTREAM_MODEL);
    expect(seen.body.messages).toEqual(request.messages);
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain(ROUTER_TOKEN);

    proc.kill("SIGTERM");
    const code = await Promise.race([
      proc.exited,
      Bun.sleep(5_000).then(() => "still running after SIGTERM"),
    ]);
    expect(code, await Promise.race([stderr, Bun.sleep(100).then(() => "")])).toBe(0);
  });
});
