import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startMock, type MockKind, type MockUpstream } from "../mocks";
import { startRouter, TOKEN, type InProcessRouter } from "./affinity/kit";
import {
  ensureInstalled,
  INSTALL_TIMEOUT_MS,
  RUN_TIMEOUT_MS,
  runBounded,
  scratch,
  type Drive,
  type Invocation,
} from "./real-clients/cli";
import { claudeCode } from "./real-clients/claude-code";
import { codex } from "./real-clients/codex";
import { filesReader } from "./real-clients/script";
import { startTap, type Tap } from "./real-clients/tap";

/**
 * The real Claude Code and Codex, each in front of a group of two deployments of the same type
 * with session affinity on: a session that reads three files one after another (four model
 * calls, besides the CLI's own background calls) must be served by one deployment throughout,
 * and the router must say which part of the request named the session. A tap between the CLI
 * and the router keeps the answers' headers, which the CLIs do not show.
 */

interface Case {
  cli: "Claude Code" | "Codex";
  prepare: (d: Drive) => Promise<Invocation>;
  kind: MockKind;
  group: string;
  /** what the CLI sends that names its session, as the router reports it */
  source: string;
}

const CASES: Case[] = [
  {
    cli: "Claude Code",
    prepare: claudeCode,
    kind: "anthropic",
    group: "claude-pair",
    // Claude Code sends X-Claude-Code-Session-Id on every call, and the same id inside
    // metadata.user_id; the header is checked first.
    source: "header:x-claude-code-session-id",
  },
  {
    cli: "Codex",
    prepare: codex("read-only"),
    kind: "responses",
    group: "codex-pair",
    // Codex 0.171 sends session-id and thread-id headers (and prompt_cache_key) with one value.
    source: "header:session-id",
  },
];

const FILES = ["alpha.txt", "beta.txt", "gamma.txt"];

const pairs: Record<string, [MockUpstream, MockUpstream]> = {};
let router: InProcessRouter;
let tap: Tap;

function config(): string {
  const models = CASES.flatMap((c) =>
    pairs[c.group]!.map(
      (m, i) =>
        `  - model_name: ${c.group}-${i + 1}\n    llm_params: { api_type: ${c.kind}, model: ${c.kind}-upstream, api_base: ${JSON.stringify(m.apiBase)}, api_key: ${m.apiKey} }`,
    ),
  );
  const groups = CASES.map(
    (c) =>
      `    - name: ${c.group}\n      models: [{ name: ${c.group}-1, weight: 100 }, { name: ${c.group}-2, weight: 100 }]`,
  );
  return [
    "model_list:",
    ...models,
    "router_settings:",
    "  strategy: roundrobin",
    "  affinity: session",
    "  model_groups:",
    ...groups,
    "",
  ].join("\n");
}

beforeAll(async () => {
  const install = await ensureInstalled();
  if (install.installed)
    console.log(`real-clients: installing the CLIs took ${Math.round(install.ms / 1000)} s`);
  for (const c of CASES)
    pairs[c.group] = await Promise.all([
      startMock(c.kind, { promptCache: c.kind === "anthropic" }),
      startMock(c.kind, { promptCache: c.kind === "anthropic" }),
    ]);
  router = await startRouter(config());
  tap = startTap(router.base);
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(async () => {
  await tap?.stop();
  await router?.stop();
  await Promise.all(Object.values(pairs).flatMap((p) => p.map((m) => m.stop())));
});

const tail = (s: string, n = 1500) => (s.length > n ? `…${s.slice(-n)}` : s);

describe("a real CLI session stays on one deployment", () => {
  for (const c of CASES)
    test(
      `${c.cli} → group ${c.group} of two ${c.kind} deployments`,
      async () => {
        const contents = FILES.map((f) => `${f}-secret-${crypto.randomUUID()}`);
        const s = await scratch(Object.fromEntries(FILES.map((f, i) => [f, `${contents[i]}\n`])));
        try {
          const mocks = pairs[c.group]!;
          const targets = FILES.map((f, i) => ({ path: join(s.work, f), content: contents[i]! }));
          for (const m of mocks) {
            m.reset();
            m.respond(filesReader(c.kind, targets));
          }
          tap.seen.length = 0;
          const prompt = `Read the files ${FILES.join(", ")} in the current directory, one after another, and tell me exactly what each says.`;
          const run = await runBounded(
            await c.prepare({ base: tap.url, token: TOKEN, group: c.group, prompt, scratch: s }),
            RUN_TIMEOUT_MS,
          );
          const generations = tap.seen.filter((t) => t.served !== null);
          const cache = mocks.flatMap((m) => m.promptCache?.uses ?? []);
          const read = cache.reduce((n, u) => n + u.read, 0);
          const input = cache.reduce((n, u) => n + u.read + u.written + u.uncached, 0);
          if (cache.length)
            console.log(
              `affinity e2e, ${c.cli}: ${cache.length} calls, cache-read share ${((100 * read) / input).toFixed(1)}%`,
            );
          // One object, so a failure shows every symptom at once.
          const outcome = {
            exit: run.timedOut ? `timed out after ${run.ms} ms` : run.code,
            answered: contents.every((x) => run.stdout.includes(x)),
            rejectedByMocks: mocks.flatMap((m) =>
              m.requests.filter((r) => r.rejected).map((r) => r.rejected!.message),
            ),
            requestsPerDeployment: mocks.map((m) => m.requests.length).sort((a, b) => a - b),
            modelsNamed: [...new Set(generations.map((t) => t.served))].length,
            affinitySources: [...new Set(generations.map((t) => t.affinity))],
            stdout: tail(run.stdout),
            stderr: tail(run.stderr),
          };
          expect(outcome).toMatchObject({
            exit: 0,
            answered: true,
            rejectedByMocks: [],
            modelsNamed: 1,
            affinitySources: [c.source],
          });
          // Every request of the session reached one deployment, and the other none.
          expect(outcome.requestsPerDeployment[0]).toBe(0);
          expect(outcome.requestsPerDeployment[1]).toBeGreaterThanOrEqual(FILES.length + 1);
        } finally {
          await s.cleanup();
        }
      },
      RUN_TIMEOUT_MS + 15_000,
    );
});
