import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  affinityConfig,
  converse,
  percent,
  placements,
  sdk,
  shares,
  startDeployments,
  startRouter,
  type Deployment,
  type InProcessRouter,
  type KeyBy,
  type Sent,
} from "./affinity/kit";

/**
 * 200 conversations of 6 turns through a group of two Anthropic deployments of equal weight,
 * each deployment a mock that caches prompts as the service does. The input tokens the caches
 * could serve are known from the prompts themselves, so the test measures how much of that a
 * placement policy really gets: with affinity every turn after the first reads the turn before
 * it; with roundrobin alone a conversation alternates and each turn can read only the one before
 * last, from the same deployment.
 */

const CONVERSATIONS = 200;
const TURNS = 6;
const WEIGHT_SHARE = 0.5;
/**
 * "within 10% of the weights": each deployment's share of conversations within 10% of its
 * weight's share, 0.5 ± 0.05. The keys are fixed, so the split is the same on every run.
 */
const SPLIT_TOLERANCE = 0.1 * WEIGHT_SHARE;

let deployments: Deployment[];
let router: InProcessRouter;
beforeAll(async () => {
  deployments = await startDeployments(["deploy-a", "deploy-b"]);
  router = await startRouter(
    affinityConfig(deployments, [{ name: "pair" }, { name: "pair-none", affinity: "none" }]),
  );
});
afterAll(async () => {
  await router?.stop();
  await Promise.all(deployments.map((d) => d.mock.stop()));
});
// Each case starts with cold caches.
beforeEach(() => deployments.forEach((d) => d.mock.reset()));

function report(label: string, sent: Sent[]) {
  const s = shares(sent);
  const served = deployments.map(
    (d) => `${d.name} ${sent.filter((x) => x.model === d.name).length}`,
  );
  console.log(
    `affinity e2e, ${label}: cache-read share of input tokens ${percent(s.read)} ` +
      `(achievable ${percent(s.achievable)}, alternation ${percent(s.alternating)}; ` +
      `${percent(s.read / s.achievable)} of achievable); requests: ${served.join(", ")}`,
  );
  return s;
}

/** The deployments each conversation reached, and each deployment's share of conversations. */
function split() {
  const where = placements(deployments, CONVERSATIONS);
  const share = (name: string) =>
    where.filter((set) => set.size === 1 && set.has(name)).length / CONVERSATIONS;
  return { where, shares: deployments.map((d) => share(d.name)) };
}

const close = (x: number) => Math.abs(x - WEIGHT_SHARE) <= SPLIT_TOLERANCE;

test("the config's affinity keys are known to the router", () => {
  expect(router.config.warnings).toEqual([]);
});

describe("200 conversations × 6 turns over two deployments of equal weight", () => {
  test("affinity: none alternates each conversation, so a turn reads only the one before last", async () => {
    // One conversation at a time: roundrobin's rotation is shared by all conversations, so
    // with several in flight the parity of the requests between two turns of one of them
    // decides its next member, and a steady rhythm can make that always even (no switch at
    // all) or always odd. Sent alone, each conversation alternates, which is the case the
    // expected share below describes.
    const sent = await converse({
      group: "pair-none",
      conversations: CONVERSATIONS,
      turns: TURNS,
      concurrency: 1,
      keyBy: "header",
      client: () => sdk(router.base),
    });
    const s = report("affinity none", sent);
    expect(sent).toHaveLength(CONVERSATIONS * TURNS);
    expect(sent.every((x) => x.affinity === null)).toBe(true);
    // Alternation is exact here; the tolerance only absorbs a rotation that starts elsewhere.
    expect(Math.abs(s.read - s.alternating)).toBeLessThanOrEqual(0.02);
    expect(s.read).toBeLessThan(0.9 * s.achievable);
    // Requests, not conversations, are what roundrobin splits evenly.
    for (const d of deployments) {
      const share = sent.filter((x) => x.model === d.name).length / sent.length;
      expect(close(share), `${d.name} served ${percent(share)} of requests`).toBe(true);
    }
    const { where } = split();
    expect(where.filter((set) => set.size === 2).length).toBe(CONVERSATIONS);
  }, 60_000);

  const keyed: [KeyBy, string][] = [
    ["header", "header:x-claude-code-session-id"],
    ["prefix", "prefix"],
    ["metadata", "body:metadata.user_id"],
  ];
  for (const [keyBy, source] of keyed)
    test(`affinity: session keyed by ${keyBy} keeps every conversation on one deployment`, async () => {
      const sent = await converse({
        group: "pair",
        conversations: CONVERSATIONS,
        turns: TURNS,
        concurrency: 16,
        keyBy,
        client: () => sdk(router.base),
      });
      const s = report(`affinity session (${keyBy})`, sent);
      expect(sent).toHaveLength(CONVERSATIONS * TURNS);
      const sources = new Set(sent.map((x) => x.affinity));
      expect([...sources]).toEqual([source]);
      expect(s.read).toBeGreaterThanOrEqual(0.95 * s.achievable);
      const { where, shares: conversationShares } = split();
      const moved = where.map((set, c) => [c, [...set]] as const).filter(([, m]) => m.length !== 1);
      expect(moved).toEqual([]);
      // What the mocks saw and what the answers said agree, turn by turn.
      for (const x of sent) expect(where[x.conversation]!.has(x.model ?? "")).toBe(true);
      for (const [i, share] of conversationShares.entries())
        expect(
          close(share),
          `${deployments[i]!.name} took ${percent(share)} of conversations`,
        ).toBe(true);
    }, 60_000);
});
