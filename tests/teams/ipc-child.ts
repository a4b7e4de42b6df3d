/**
 * A --workers worker reduced to its key state: started by ipc-transport.test.ts with an IPC channel,
 * it asks the parent's IpcStoreHost for IPC_ADMITS admissions of one key at once, reports the
 * verdicts, and then waits to be stopped (a report sent just before exiting could be lost). When
 * the parent closes the channel, it asks once more and prints that verdict on stdout.
 */
import { workerStateChannel } from "../../src/cli/workers";
import { IpcStore } from "../../src/teams/state/ipc";
import { MemoryStore } from "../../src/teams/state/memory";

const channel = workerStateChannel();
if (!channel) throw new Error("started without an IPC channel");
const store = new IpcStore({
  send: channel.send,
  timeoutMs: 10_000,
  failure: "closed",
  local: new MemoryStore(),
  log: { warn: (msg) => console.error(msg) },
});
channel.onMessage((msg) => store.receive(msg));

const limits = JSON.parse(process.env.IPC_LIMITS ?? "{}") as Record<string, number>;
const verdicts = await Promise.all(
  Array.from({ length: Number(process.env.IPC_ADMITS) }, (_, i) =>
    store.admit({
      key: "team-a",
      id: `${process.pid}-${i}`,
      now: Date.now(),
      tokens: 0,
      ...limits,
    }),
  ),
);
channel.send({ t: "report", verdicts });

process.on("disconnect", async () => {
  const verdict = await store.admit({ key: "team-a", id: "late", now: Date.now(), tokens: 0 });
  process.stdout.write(JSON.stringify(verdict) + "\n");
  process.exit(0);
});
