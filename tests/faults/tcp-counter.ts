import net from "node:net";

/**
 * A TCP relay in front of an upstream that counts the connections the router holds open to it.
 * The strict mocks run on Bun.serve, which does not expose its connections; putting this relay
 * between the router and a mock makes "no upstream socket left open" observable without touching
 * the mock. Closing either side closes the other, so a socket the router drops reaches the mock
 * as a disconnect (its `aborted` flag still works through the relay).
 */
export interface CountingRelay {
  /** `http://127.0.0.1:port` of the relay. */
  url: string;
  /** Connections from the router that are open right now. */
  open(): number;
  /** Connections accepted since the start. */
  accepted(): number;
  stop(): Promise<void>;
}

/** `target` is the upstream port, or a function read per connection (for a port known only later). */
export async function startCountingRelay(target: number | (() => number)): Promise<CountingRelay> {
  const live = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((inbound) => {
    accepted++;
    live.add(inbound);
    const outbound = net.connect({
      host: "127.0.0.1",
      port: typeof target === "number" ? target : target(),
    });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      live.delete(inbound);
      inbound.destroy();
      outbound.destroy();
    };
    for (const s of [inbound, outbound]) {
      s.on("error", close);
      s.on("close", close);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    open: () => live.size,
    accepted: () => accepted,
    async stop() {
      for (const s of [...live]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
