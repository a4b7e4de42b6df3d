/**
 * Shared by the process tests: build the linux-x64 executable once per test file, start it the
 * way an operator would (flags, a config file, a clean environment), read its output as it
 * arrives, and stop exactly the processes this file started.
 */
import { mkdtemp, rm, writeFile, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MockKind, MockUpstream } from "../mocks";

const ROOT = join(import.meta.dir, "../..");
export const ON_LINUX_X64 = process.platform === "linux" && process.arch === "x64";
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Polls `cond` every `everyMs` until it holds, at most `ms` in total; the loop is bounded by a
 * count rather than the clock so a stalled event loop cannot make it spin forever. The bound only
 * says when to give up on a signal that is not coming: generous, for a loaded 2-core machine.
 */
export async function waitFor<T>(
  what: string,
  cond: () => T | Promise<T>,
  ms = 10_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const rounds = Math.max(1, Math.ceil(ms / everyMs));
  for (let i = 0; i < rounds; i++) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    await Bun.sleep(everyMs);
  }
  const last = await cond();
  if (last) return last as NonNullable<T>;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** One stream of a child process, kept whole so tests can look at everything it ever printed. */
class Output {
  text = "";
  done: Promise<void>;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      const dec = new TextDecoder();
      // Ends when the child closes the pipe, which it does at exit at the latest.
      for await (const chunk of stream) this.text += dec.decode(chunk, { stream: true });
      this.text += dec.decode();
    })().catch(() => {});
  }
  lines(): string[] {
    return this.text
      .replace(ANSI, "")
      .split("\n")
      .filter((l) => l !== "");
  }
}

export class BinaryProcess {
  readonly stdout: Output;
  readonly stderr: Output;
  /** Set once the process has exited. */
  code: number | null = null;
  readonly exited: Promise<number>;

  constructor(readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">) {
    this.stdout = new Output(proc.stdout);
    this.stderr = new Output(proc.stderr);
    this.exited = proc.exited.then((c) => (this.code = c));
  }

  get pid(): number {
    return this.proc.pid;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.code === null) this.proc.kill(sig);
  }

  /** The exit code, or "running" if the process is still alive after `ms`. */
  async exitWithin(ms: number): Promise<number | "running"> {
    return Promise.race([this.exited, Bun.sleep(ms).then(() => "running" as const)]);
  }

  /** Everything on stderr as JSON records; lines that are not JSON are kept as `{raw}`. */
  stderrRecords(): Record<string, any>[] {
    return this.stderr.lines().map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return { raw: l };
      }
    });
  }

  waitStderr(what: string, match: (line: string) => boolean, ms = 10_000): Promise<string> {
    return waitFor(what, () => this.stderr.lines().find(match), ms);
  }
}

/** A router that printed its listening line. */
export interface Running extends BinaryProcess {
  origin: string;
  port: number;
  listening: string;
}

export interface Lab {
  dir: string;
  binary: string;
  env(extra?: Record<string, string>): Record<string, string>;
  spawn(args: string[], opts?: { cwd?: string; env?: Record<string, string> }): BinaryProcess;
  /** Runs to completion; a run that hangs is killed so the test fails with its output instead of timing out blind. */
  run(
    args: string[],
    opts?: { cwd?: string; env?: Record<string, string>; killAfterMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `-i 127.0.0.1 -p 0 …args`, resolved once the listening line is out. */
  start(args: string[], opts?: { env?: Record<string, string> }): Promise<Running>;
  /** SIGKILLs whatever this lab started and is still running, then removes the temp dir. */
  cleanup(): Promise<void>;
}

/** Builds the executable into a fresh temp dir. Call in beforeAll; call cleanup() in afterAll. */
export async function createLab(name: string): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), `llm-router-${name}-`));
  const started = new Set<BinaryProcess>();
  const lab: Lab = {
    dir,
    binary: join(dir, "bin", "llm-router-linux-x64"),
    // A developer's LLM_ROUTER_TOKEN or API keys must not leak into the binary under test.
    env: (extra = {}) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...extra }),
    spawn(args, opts = {}) {
      const proc = Bun.spawn([lab.binary, ...args], {
        cwd: opts.cwd ?? dir,
        env: opts.env ?? lab.env(),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const p = new BinaryProcess(proc);
      started.add(p);
      void p.exited.then(() => started.delete(p));
      return p;
    },
    async run(args, opts = {}) {
      const p = lab.spawn(args, opts);
      const timer = setTimeout(() => p.signal("SIGKILL"), opts.killAfterMs ?? 20_000);
      const code = await p.exited;
      clearTimeout(timer);
      await Promise.all([p.stdout.done, p.stderr.done]);
      return {
        code,
        stdout: p.stdout.text.replace(ANSI, ""),
        stderr: p.stderr.text.replace(ANSI, ""),
      };
    },
    async start(args, opts = {}) {
      const p = lab.spawn(["-i", "127.0.0.1", "-p", "0", ...args], opts);
      let line: string;
      try {
        line = await waitFor(
          "the listening line",
          () =>
            p.code !== null
              ? "exited"
              : p.stdout.text.includes("\n")
                ? p.stdout.lines()[0]
                : undefined,
          20_000,
        );
      } catch (e) {
        p.signal("SIGKILL");
        throw new Error(
          `${(e as Error).message}\nstdout: ${p.stdout.text}\nstderr: ${p.stderr.text}`,
        );
      }
      if (line === "exited")
        throw new Error(
          `router exited with ${p.code} before listening\nstdout: ${p.stdout.text}\nstderr: ${p.stderr.text}`,
        );
      const m = line.match(/listening on (http:\/\/127\.0\.0\.1:(\d+)) /);
      if (!m) throw new Error(`unexpected first line: ${line}`);
      return Object.assign(p, { origin: m[1]!, port: Number(m[2]), listening: line }) as Running;
    },
    async cleanup() {
      const left = [...started];
      for (const p of left) p.signal("SIGKILL");
      await Promise.all(left.map((p) => p.exited));
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (!ON_LINUX_X64) return lab;
  const build = Bun.spawn(
    [process.execPath, "build.ts", "--target", "linux-x64", "--outdir", join(dir, "bin")],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(build.stdout).text(),
    new Response(build.stderr).text(),
    build.exited,
  ]);
  if (code !== 0) throw new Error(`build.ts failed with exit ${code}\n${out}\n${err}`);
  return lab;
}

/** Whether a fresh TCP connection to the port is refused (rather than accepted or timing out). */
export async function refused(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return false;
  } catch {
    return true;
  }
}

/** One `model_list` entry for a mock (or any base URL); `key` overrides the mock's own. */
export function modelYaml(name: string, kind: MockKind, apiBase: string, key: string): string {
  // JSON strings are YAML double-quoted scalars, so keys with quotes or backslashes stay intact.
  return `  - model_name: ${name}\n    llm_params: { api_type: ${kind}, model: ${kind}-upstream, api_base: ${JSON.stringify(apiBase)}, api_key: ${JSON.stringify(key)} }\n`;
}

export const mockModel = (name: string, m: MockUpstream, key = m.apiKey) =>
  modelYaml(name, m.kind, m.apiBase, key);

/** A whole config: models as given, and groups as `name: [model, …]` (weights as `model*weight`). */
export function configYaml(
  models: string[],
  groups: Record<string, string[]>,
  server = "",
): string {
  const members = (ms: string[]) =>
    ms.map((m) => {
      const [name, weight] = m.split("*");
      return weight ? `{ name: ${name}, weight: ${weight} }` : `{ name: ${name} }`;
    });
  return [
    ...(server ? ["server_settings:", server] : []),
    "model_list:",
    models.join("").trimEnd(),
    "router_settings:",
    "  model_groups:",
    ...Object.entries(groups).map(
      ([g, ms]) => `    - name: ${g}\n      models: [${members(ms).join(", ")}]`,
    ),
    "",
  ].join("\n");
}

/** Replaces a file the way editors and config managers do: write a sibling, rename it over. */
export async function replaceByRename(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * An OpenAI-compatible upstream that streams `chunks` content deltas `intervalMs` apart, for
 * requests that must still be running when a signal arrives. The strict mocks pace events by
 * 1 ms, far too fast for that.
 */
export function startSlowUpstream(chunks = 10, intervalMs = 100) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req) {
      const body: any = await req.json().catch(() => ({}));
      const enc = new TextEncoder();
      const frame = (delta: object, finish: string | null = null) =>
        enc.encode(
          `data: ${JSON.stringify({ id: "chatcmpl-slow", object: "chat.completion.chunk", created: 1, model: body.model ?? "slow", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      let cancelled = false;
      const stream = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(frame({ role: "assistant", content: "" }));
          for (let i = 0; i < chunks && !cancelled; i++) {
            await Bun.sleep(intervalMs);
            if (!cancelled) c.enqueue(frame({ content: `c${i} ` }));
          }
          if (cancelled) return;
          c.enqueue(frame({}, "stop"));
          c.enqueue(enc.encode("data: [DONE]\n\n"));
          c.close();
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  return { apiBase: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
}

/** POSTs an OpenAI chat request to the router. */
export function chat(
  origin: string,
  group: string,
  opts: { token?: string; stream?: boolean; text?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${origin}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: JSON.stringify({
      model: group,
      stream: opts.stream ?? false,
      messages: [{ role: "user", content: opts.text ?? "hello there" }],
    }),
  });
}

/** Group names from GET /v1/models, or null when the router does not answer. */
export async function groupsOf(origin: string, token?: string): Promise<string[] | null> {
  try {
    const res = await fetch(`${origin}/v1/models`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!res.ok) return null;
    return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id).sort();
  } catch {
    return null;
  }
}
