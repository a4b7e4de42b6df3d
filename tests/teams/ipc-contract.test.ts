/**
 * A worker's IpcStore asking a supervisor's MemoryStore must count as that store counts: the
 * shared contract runs through the channel, over a JSON copy of each message (the harsher of the
 * two serializations: it would turn an unencoded Infinity into null).
 */
import { IpcStore, IpcStoreHost } from "../../src/teams/state/ipc";
import { MemoryStore } from "../../src/teams/state/memory";
import { storeContract } from "./store-contract";

const log = { warn: (msg: string) => console.error(msg) };
const copy = (m: unknown) => JSON.parse(JSON.stringify(m));

storeContract("IpcStore through an IpcStoreHost", async () => {
  const host = new IpcStoreHost(new MemoryStore(), log);
  // Messages in flight: each is delivered on a later microtask, as a channel would.
  let carrying = 0;
  const deliver = (fn: () => void) => {
    carrying++;
    queueMicrotask(() => {
      carrying--;
      fn();
    });
  };
  const peer = host.attach((m) => deliver(() => store.receive(copy(m))));
  const store = new IpcStore({
    send: (m) => deliver(() => peer.receive(copy(m))),
    timeoutMs: 10_000,
    failure: "closed",
    local: new MemoryStore(),
    log,
  });
  return {
    store,
    settled: async () => {
      for (let i = 0; i < 100 && carrying > 0; i++) await new Promise((r) => setImmediate(r));
    },
    cleanup: () => host.close(),
  };
});
