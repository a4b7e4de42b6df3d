import type { Server } from "bun";
import { createHandler, type CoreDeps } from "../core/handle";
import { createApp } from "./app";
import { collectWhenIdle } from "./idle-collect";

export interface ServeOptions {
  hostname: string;
  port: number;
  maxBodyBytes: number;
  /** Share the port with other processes (--workers); off otherwise, so a second router fails to start. */
  reusePort?: boolean;
}

export interface RunningServer {
  url: URL;
  /**
   * Stops listening. Without `force`, running requests and streams may finish and the promise
   * resolves once they have; with it, open connections are closed at once.
   */
  stop(force?: boolean): Promise<void>;
}

/** Starts listening; throws a one-line Error when the address cannot be bound. */
export function serve(opts: ServeOptions, deps: Omit<CoreDeps, "holdOpen">): RunningServer {
  let server: Server<unknown> | undefined;
  const handler = createHandler({
    ...deps,
    // Model calls can be silent for minutes (long reasoning); Bun's 10 s idle timeout would cut them.
    holdOpen: (request) => server?.timeout(request, 0),
  });
  const app = createApp(handler);
  try {
    app.listen({
      hostname: opts.hostname,
      port: opts.port,
      // The core enforces the configured limit and answers 413 in the caller's format, without
      // reading past it; Bun's own limit (a bare 413) sits far above so that answer is the one
      // clients see even for bodies many times too large.
      maxRequestBodySize: opts.maxBodyBytes * 4 + 64 * 1024 * 1024,
      // Elysia turns SO_REUSEPORT on by default: a second router would then share the port
      // silently (each answering half the requests, maybe with another config) instead of failing.
      reusePort: opts.reusePort ?? false,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new Error(`cannot listen on ${opts.hostname}:${opts.port}: address already in use`);
    throw new Error(`cannot listen on ${opts.hostname}:${opts.port}: ${(err as Error).message}`);
  }
  server = app.server!;
  const stopCollecting = collectWhenIdle(server);
  return {
    url: server.url,
    stop: async (force = true) => {
      stopCollecting();
      await app.stop(force);
    },
  };
}
