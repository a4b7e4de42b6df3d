import { spawn, type Subprocess } from "bun";

/**
 * `--workers N`: N router processes sharing one port (SO_REUSEPORT; the kernel spreads
 * connections). This process only supervises: it starts the workers, forwards SIGHUP (reload),
 * SIGTERM and SIGINT (graceful stop) to them, restarts one that crashes, and exits when all have
 * stopped. Workers share nothing — each keeps its own health and metrics — so the same holds for
 * N routers on N machines behind any load balancer.
 */
export async function superviseWorkers(count: number, args: string[], port: number): Promise<number> {
  const self = isCompiled() ? [process.execPath] : [process.execPath, process.argv[1]!];
  let stopping = false;
  const workers = new Set<Subprocess>();

  // Signals are handled from the start: one may arrive while workers are still starting.
  const forward = (signal: NodeJS.Signals) => () => {
    if (signal !== "SIGHUP") stopping = true;
    for (const w of workers) w.kill(signal);
  };
  process.on("SIGHUP", forward("SIGHUP"));
  process.once("SIGTERM", forward("SIGTERM"));
  process.once("SIGINT", forward("SIGINT"));

  // The first worker binds (possibly a free port, with -p 0); the others join its port.
  const start = (p: number, announce: boolean) => {
    const proc = spawn([...self, ...withPort(args, p)], {
      env: { ...process.env, LLM_ROUTER_WORKER: "1" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
    workers.add(proc);
    const listening = firstLine(proc.stdout).then((line) => {
      if (announce && line) process.stdout.write(line.replace(/\)$/, `; ${count} workers)`) + "\n");
      return Number(/:(\d+) \(/.exec(line ?? "")?.[1] ?? NaN);
    });
    proc.exited.then((code) => {
      workers.delete(proc);
      // A worker that dies on its own is replaced after a pause; one stopped on purpose is not.
      if (!stopping && code !== 0) setTimeout(() => !stopping && start(p, false), 1000);
    });
    return listening;
  };

  const bound = await start(port, true);
  if (!Number.isFinite(bound)) {
    stopping = true;
    return 1;
  }
  for (let i = 1; i < count && !stopping; i++) await start(bound, false);

  while (workers.size > 0) await Promise.race([...workers].map((w) => w.exited));
  return 0;
}

function withPort(args: string[], port: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--workers" || a === "-p" || a === "--port") i++;
    else if (!a.startsWith("--workers=") && !a.startsWith("--port=")) out.push(a);
  }
  return [...out, "-p", String(port)];
}

/** Resolves with the first stdout line (the listening line), then keeps passing stdout through. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return undefined;
    text += decoder.decode(value, { stream: true });
    const nl = text.indexOf("\n");
    if (nl >= 0) {
      reader.releaseLock();
      void stream.pipeTo(new WritableStream({ write: (c) => void process.stdout.write(c) })).catch(() => {});
      return text.slice(0, nl);
    }
  }
}

function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/.test(Bun.main);
}
