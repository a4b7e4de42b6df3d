/**
 * Load from wrk (Debian package `wrk`), when it is installed: a C load generator that spends a
 * fraction of the CPU per request that a Bun fetch loop does. On a machine whose cores are shared
 * by the load generator, the fake upstream and the server under test, a cheaper generator leaves
 * the servers closer to saturation, where a proxy's CPU per request is what matters at c=64.
 * wrk sees whole responses only: rows that time the first streamed token use bench/load.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadRequest, LoadResult } from "./load";

export function wrkAvailable(): boolean {
  return Bun.which("wrk") !== null;
}

/** Runs wrk for `seconds` with `concurrency` connections on one thread; the request is POSTed as given. */
export async function wrkLoad(
  url: string,
  req: LoadRequest,
  opts: { seconds: number; concurrency: number },
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "llmr-wrk-"));
  try {
    const bodyFile = join(dir, "body");
    writeFileSync(bodyFile, req.body);
    const headers = Object.entries(req.headers)
      .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
      .join("\n");
    const script = join(dir, "request.lua");
    // The body is read from a file: a Lua string literal would need escaping for any body.
    writeFileSync(
      script,
      `wrk.method = "POST"\n${headers}\nlocal f = io.open(${JSON.stringify(bodyFile)}, "rb")\nwrk.body = f:read("*a")\nf:close()\n` +
        (req.cycle ? cycleScript(req.cycle) : ""),
    );
    const proc = Bun.spawn(
      [
        "wrk",
        "-t1",
        `-c${opts.concurrency}`,
        `-d${opts.seconds}s`,
        "--latency",
        "-s",
        script,
        url + req.path,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0)
      throw new Error(`wrk failed: ${await new Response(proc.stderr).text()}`);
    return parse(out, opts.seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Requests that add the next header set in turn. Each set's request is formatted once, in init():
 * a request built per call would cost wrk more CPU than the server it measures.
 */
function cycleScript(sets: Record<string, string>[]): string {
  const table = (h: Record<string, string>) =>
    `{${Object.entries(h)
      .map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
      .join(", ")}}`;
  return `local cycle = {${sets.map(table).join(",\n")}}
local requests = {}
local n = 0
function init(args)
  for i, extra in ipairs(cycle) do
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    for k, v in pairs(extra) do h[k] = v end
    requests[i] = wrk.format(nil, nil, h)
  end
end
function request()
  n = n % #requests + 1
  return requests[n]
end
`;
}

function parse(out: string, seconds: number): LoadResult {
  const completed = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const elapsed = Number(/requests in ([\d.]+)s/.exec(out)?.[1] ?? seconds);
  return {
    completed,
    failed: non2xx + socketErrors,
    rps: completed / elapsed,
    p50: latencyMs(out, "50%"),
    p99: latencyMs(out, "99%"),
    ttft50: NaN,
    ttft99: NaN,
  };
}

/** A line of wrk's latency distribution ("  99%    3.41ms"), in ms. */
function latencyMs(out: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct.replace("%", "%")}\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}
