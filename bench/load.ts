/** A bounded closed-loop load generator: `concurrency` workers send requests until `requests` are done or time is up. */
export interface LoadResult {
  completed: number;
  failed: number;
  rps: number;
  p50: number;
  p99: number;
  /** Time to the first body chunk (streams: the first token), p50 and p99. */
  ttft50: number;
  ttft99: number;
}

export interface LoadRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
  /** Header sets that successive requests add in turn (one credential each, say). */
  cycle?: Record<string, string>[];
}

export async function load(
  url: string,
  req: LoadRequest,
  opts: { requests: number; concurrency: number; maxSeconds: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const firsts: number[] = [];
  let next = 0;
  let failed = 0;
  const deadline = performance.now() + opts.maxSeconds * 1000;
  const start = performance.now();
  // Merged once: a request only picks its set.
  const headerSets = req.cycle?.map((extra) => ({ ...req.headers, ...extra })) ?? [req.headers];
  async function worker() {
    while (next < opts.requests && performance.now() < deadline) {
      const headers = headerSets[next++ % headerSets.length];
      const t0 = performance.now();
      try {
        const res = await fetch(url + req.path, { method: "POST", headers, body: req.body });
        const reader = res.body!.getReader();
        let first = true;
        for (;;) {
          const { done } = await reader.read();
          if (first) (firsts.push(performance.now() - t0), (first = false));
          if (done) break;
        }
        if (!res.ok) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  return {
    completed: latencies.length,
    failed,
    rps: latencies.length / seconds,
    ...quantiles(latencies, "p"),
    ...ttft(firsts),
  };
}

function q(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function quantiles(values: number[], _: "p"): { p50: number; p99: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: q(s, 0.5), p99: q(s, 0.99) };
}

function ttft(values: number[]): { ttft50: number; ttft99: number } {
  const s = [...values].sort((a, b) => a - b);
  return { ttft50: q(s, 0.5), ttft99: q(s, 0.99) };
}
