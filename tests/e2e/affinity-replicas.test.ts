import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BinaryProcess, waitFor } from "../process/binary";
import { startRouterProcess } from "./router-process";
import {
  affinityConfig,
  converse,
  percent,
  placements,
  sdk,
  shares,
  startDeployments,
  TOKEN,
  type Deployment,
  type KeyBy,
} from "./affinity/kit";

/**
 * Two router processes (replicas behind a load balancer, not workers of one supervisor), started
 * from the same config file, share nothing. Every conversation sends its odd turns to one and its
 * even turns to the other; both must pick the same deployment for every turn, which the
 * deployments' own records show.
 */

const CONVERSATIONS = 100;
const TURNS = 6;

interface Replica {
  proc: BinaryProcess;
  origin: string;
}

let dir: string;
let deployments: Deployment[];
const replicas: Replica[] = [];

function startReplica(config: string): Promise<Replica> {
  return startRouterProcess(config, dir, { token: TOKEN });
}

/** The request lines a replica logged for the group so far. */
const requestLines = (r: Replica) =>
  r.proc.stderrRecords().filter((x) => x.msg === "request" && x.group === "pair");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "llm-router-affinity-replicas-"));
  deployments = await startDeployments(["deploy-a", "deploy-b"]);
  const config = join(dir, "config.yaml");
  await writeFile(config, affinityConfig(deployments, [{ name: "pair" }]));
  // Pushed one by one, so afterAll stops whichever did start when the other one failed.
  for (let i = 0; i < 2; i++) replicas.push(await startReplica(config));
}, 60_000);

afterAll(async () => {
  for (const r of replicas) r.proc.signal("SIGKILL");
  await Promise.all(replicas.map((r) => r.proc.exited));
  await Promise.all((deployments ?? []).map((d) => d.mock.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => deployments.forEach((d) => d.mock.reset()));

describe("two router processes serving alternate turns of the same conversations", () => {
  const keyed: [KeyBy, string][] = [
    ["header", "header:x-claude-code-session-id"],
    ["prefix", "prefix"],
  ];
  for (const [keyBy, source] of keyed)
    test(`agree on the deployment of every turn (keyed by ${keyBy})`, async () => {
      const clients = replicas.map((r) => sdk(r.origin));
      const before = replicas.map((r) => requestLines(r).length);
      const sent = await converse({
        group: "pair",
        conversations: CONVERSATIONS,
        turns: TURNS,
        concurrency: 16,
        keyBy,
        client: (turn) => clients[turn % 2]!,
      });
      const s = shares(sent);
      console.log(
        `affinity e2e, two processes (${keyBy}): cache-read share ${percent(s.read)} ` +
          `of input tokens, ${percent(s.read / s.achievable)} of achievable`,
      );
      expect(replicas.every((r) => r.proc.code === null)).toBe(true);
      // Each replica really served its half, and its request lines name the key's source.
      for (const [i, r] of replicas.entries()) {
        const lines = await waitFor(`replica ${i + 1}'s request lines`, () => {
          const mine = requestLines(r).slice(before[i]);
          return mine.length === (CONVERSATIONS * TURNS) / 2 ? mine : undefined;
        });
        expect(new Set(lines.map((x) => x.affinity))).toEqual(new Set([source]));
      }
      expect(new Set(sent.map((x) => x.affinity))).toEqual(new Set([source]));
      const where = placements(deployments, CONVERSATIONS);
      const split = where.map((set, c) => [c, [...set]] as const).filter(([, m]) => m.length !== 1);
      expect(split).toEqual([]);
      // Both replicas answered, and named the deployment the mocks saw, for every turn.
      for (const x of sent) expect(where[x.conversation]!.has(x.model ?? "")).toBe(true);
      expect(s.read).toBeGreaterThanOrEqual(0.95 * s.achievable);
      // Neither deployment took every conversation: the agreement is not a constant choice.
      for (const d of deployments)
        expect(where.filter((set) => set.has(d.name)).length).toBeGreaterThan(CONVERSATIONS / 4);
    });
});
