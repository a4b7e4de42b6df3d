/** A bounded closed-loop load generator: `concurrency` workers send requests until `requests` are done or time is up. */
export interface LoadResult {
  completed: number;
  failed: number;
  rps: number;
  p50: number;
  p99: number;
}

export async function load(
  url: string,
  req: { path: string; body: string; headers: Record<string, string> },
  opts: { requests: number; concurrency: number; maxSeconds: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const deadline = performance.now() + opts.maxSeconds * 1000;
  const start = performance.now();
  async function worker() {
    while (next < opts.requests && performance.now() < deadline) {
      next++;
      const t0 = performance.now();
      try {
        const res = await fetch(url + req.path, { method: "POST", headers: req.headers, body: req.body });
        await res.arrayBuffer();
        if (!res.ok) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { completed: latencies.length, failed, rps: latencies.length / seconds, p50: q(0.5), p99: q(0.99) };
}
