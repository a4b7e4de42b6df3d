import type { StateSettings } from "../config/types";
import type { RouterLogger } from "../log";
import { MemoryStore, type StateStore } from "../teams";
import { IpcStore } from "../teams/state/ipc";
import { RedisStore } from "../teams/state/redis";
import { workerStateChannel } from "./workers";

/**
 * The process's one state store (key counters and spend), kept across reloads: counters must not
 * restart because a file changed. A reload that changes `router_settings.state` (another Redis,
 * another state file) opens the new store; the old one is closed once the requests that were
 * admitted by it have had time to settle into it.
 */
export class StateKeeper {
  private store: StateStore;
  private settings: string;
  /** Where the counters live (URL and file): only a new place opens a new store. */
  private place: string;

  constructor(
    private readonly open: (s: StateSettings) => StateStore,
    initial: StateSettings,
    private readonly log: RouterLogger,
  ) {
    this.store = open(initial);
    this.settings = JSON.stringify(initial);
    this.place = placeOf(initial);
  }

  /** The store for these settings: the current one unless they changed. */
  for(settings: StateSettings): StateStore {
    const text = JSON.stringify(settings);
    if (text === this.settings) return this.store;
    if (placeOf(settings) === this.place) {
      // The same counters with another timeout or failure policy: a new store would start them
      // from zero (and a second store cannot open a state file the first one holds).
      this.log.warn("state_timeout and state_failure changes take effect when the router restarts");
      this.settings = text;
      return this.store;
    }
    const next = this.open(settings);
    const previous = this.store;
    this.store = next;
    this.settings = text;
    this.place = placeOf(settings);
    this.log.info("key state moved", { to: describeState(settings) });
    setTimeout(() => void previous.close(), 30_000).unref();
    return next;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * How this process opens a store for given settings: Redis when the settings name one; else a
 * worker of `--workers` asks its supervisor, which holds the counters (and the state file) for
 * every worker; else the router keeps them itself.
 */
export function storeOpener(
  log: RouterLogger,
  env: Record<string, string | undefined>,
): (settings: StateSettings) => StateStore {
  const channel = workerStateChannel(env);
  // One listener per process, whichever store is current: messages go to the latest one.
  let current: IpcStore | undefined;
  channel?.onMessage((msg) => current?.receive(msg));
  return (settings) => {
    // Redis is shared by every process, workers included: nobody in between.
    if (settings.url)
      return new RedisStore({
        url: settings.url,
        timeoutMs: settings.timeoutMs,
        failure: settings.failure,
        local: new MemoryStore({ log }),
        log: (level, msg, fields) => log[level](msg, fields as Record<string, unknown>),
      });
    if (channel) {
      current = new IpcStore({
        send: channel.send,
        timeoutMs: settings.timeoutMs,
        failure: settings.failure,
        local: new MemoryStore({ log }),
        log,
      });
      return current;
    }
    return new MemoryStore({ ...(settings.file ? { file: settings.file } : {}), log });
  };
}

function placeOf(s: StateSettings): string {
  return JSON.stringify([s.url ?? null, s.file ?? null]);
}

/** Where key limits are counted, for the startup line; a Redis password is never shown. */
export function describeState(settings: StateSettings): string {
  if (settings.url) {
    const url = new URL(settings.url);
    return `in ${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}, shared by every replica`;
  }
  return settings.file ? `in this process, spend kept in ${settings.file}` : "in this process";
}
