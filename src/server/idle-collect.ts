/**
 * A full garbage collection once the server has gone quiet after work that grew its memory.
 *
 * Requests, responses and fetch bodies hold native memory that the JS heap does not count, so
 * under steady load the collector seldom runs the full collections that free it: in a soak the
 * router's RSS rose from 110 to 160 MB over 150,000 requests and came back only when one ran.
 * When nothing has been in flight at two ticks in a row and RSS has grown by `growthBytes` since
 * the last collection, one runs: 5-10 ms, at a moment no request is waiting for it.
 */
export interface IdleCollectOptions {
  tickMs?: number;
  growthBytes?: number;
  rss?: () => number;
  collect?: () => void;
}

export function collectWhenIdle(
  server: { readonly pendingRequests: number },
  opts: IdleCollectOptions = {},
): () => void {
  const {
    tickMs = 1000,
    growthBytes = 16 * 1024 * 1024,
    rss = () => process.memoryUsage.rss(),
    collect = () => Bun.gc(true),
  } = opts;
  let baseline = rss();
  let quietTicks = 0;
  const timer = setInterval(() => {
    if (server.pendingRequests > 0) {
      quietTicks = 0;
      return;
    }
    if (++quietTicks < 2 || rss() - baseline < growthBytes) return;
    collect();
    baseline = rss();
  }, tickMs);
  timer.unref(); // never what keeps a stopping process alive
  return () => clearInterval(timer);
}
