import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import {
  ensureInstalled,
  INSTALL_TIMEOUT_MS,
  RUN_TIMEOUT_MS,
  type Drive,
  type Invocation,
} from "./real-clients/cli";
import { claudeCode } from "./real-clients/claude-code";
import { geminiCli } from "./real-clients/gemini-cli";
import { codex } from "./real-clients/codex";
import {
  billed,
  meteredReader,
  newMeter,
  priced,
  SECRET,
  startRig,
  withEnv,
  type Group,
  type KeyName,
  type Rig,
} from "./real-clients/keys";
import { opencode } from "./real-clients/opencode";
import { qwenCode } from "./real-clients/qwen-code";

/**
 * The real agent CLIs with configured keys (issue 17) instead of the router token: each sends
 * its key the way it always sends one, finishes a file task, and its spend shows under the key's
 * name in GET /v1/usage, priced from the usage the mock reported; a spent budget stops Claude
 * Code and Codex before any upstream call; a key without the group of Claude Code's small model
 * refuses those calls alone. A tap between CLI and router (real-clients/tap.ts) records each
 * request's credential, model and status, which the CLIs do not show.
 */

let rig: Rig;
beforeAll(async () => {
  const install = await ensureInstalled();
  if (install.installed)
    console.log(`real-clients: installing the CLIs took ${Math.round(install.ms / 1000)} s`);
  rig = await startRig();
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(() => rig?.stop());

const FILE = "notes.txt";
const READ = `Read the file ${FILE} in the current directory with your file-reading tool and tell me exactly what it says.`;

/** Reads a file through the group's mock, every answer's usage set and summed. */
async function readTask(
  prepare: (d: Drive) => Promise<Invocation>,
  key: KeyName,
  group: Group,
  smallGroup?: Group,
) {
  const content = `llm-router-secret-${crypto.randomUUID()}`;
  const meter = newMeter();
  const { kind } = priced(group);
  const outcome = await rig.drive(prepare, {
    key,
    group,
    ...(smallGroup ? { smallGroup } : {}),
    prompt: READ,
    files: { [FILE]: `${content}\n` },
    script: (work) =>
      rig.h.mocks[kind].respond(meteredReader(kind, join(work, FILE), content, meter)),
  });
  return { outcome, meter, answered: outcome.stdout.includes(content) };
}

describe("each CLI authenticates with a key and spends on it", () => {
  const cases = [
    { cli: "Claude Code", prepare: claudeCode, key: "claude", auth: "x-api-key" },
    { cli: "Codex", prepare: codex("read-only"), key: "codex", auth: "bearer" },
    { cli: "Gemini CLI", prepare: geminiCli, key: "gemini", auth: "x-goog-api-key" },
    // the provider's `apiKey` in opencode.json is `{env:LLM_ROUTER_TOKEN}`; no OPENAI_API_KEY
    { cli: "opencode", prepare: opencode(), key: "opencode", auth: "bearer" },
    { cli: "Qwen Code", prepare: qwenCode, key: "qwen", auth: "bearer" },
  ] as const;
  for (const c of cases) {
    const group = `${c.key}-main` as const;
    test(
      `${c.cli}: ${c.auth} with key "${c.key}", billed in /v1/usage at ${group}'s prices`,
      async () => {
        const { outcome, meter, answered } = await readTask(c.prepare, c.key, group);
        // A tool round trip at least (Claude Code, Codex, Gemini CLI and Qwen Code made 2 calls,
        // opencode 3 with its title); every call presented the key, reached the mock and was billed.
        expect(meter.requests).toBeGreaterThanOrEqual(2);
        expect({ ...outcome, answered }).toMatchObject({
          exit: 0,
          answered: true,
          rejectedByMocks: [],
          calls: outcome.upstream.map(() =>
            expect.stringMatching(new RegExp(`^200 POST .* ${c.auth} ${c.key}$`)),
          ),
        });
        expect((await rig.usage(c.key, meter.requests)).current.groups).toEqual(
          billed(group, meter),
        );
      },
      RUN_TIMEOUT_MS + 15_000,
    );
  }
});

/** Spends past a key's $0.01 budget with one official-SDK call: 1000 + 1000 tokens cost $0.018. */
async function spend(key: KeyName) {
  rig.h.mocks.anthropic.reset();
  rig.h.mocks.anthropic.reply({ usage: { input: 1000, output: 1000 } });
  const sdk = new Anthropic({ baseURL: rig.h.base, apiKey: SECRET[key], maxRetries: 0 });
  await sdk.messages.create({
    model: "claude-main",
    max_tokens: 50,
    messages: [{ role: "user", content: "hi" }],
  });
  expect((await rig.usage(key, 1)).budget).toMatchObject({ spent_usd: 0.018, remaining_usd: 0 });
}

const SAY = "Say hello.";
// Each refused run ends in about a second; a CLI that retried on and on would hit this.
const REFUSED_MS = 30_000;

describe("a spent budget stops the agents before any upstream call", () => {
  beforeAll(async () => {
    await spend("spent");
    await spend("spent-total");
  });

  test(
    "Claude Code: one 429, no retry (its Retry-After is hours), and the router's words printed",
    async () => {
      const out = await rig.drive(claudeCode, {
        key: "spent",
        group: "claude-main",
        prompt: SAY,
        timeoutMs: REFUSED_MS,
      });
      // Claude Code 2.1.197 gives up at once when Retry-After exceeds 60 s, and prints (stdout):
      // API Error: Request rejected (429) · key "spent" has spent its budget of $0.01 for the
      // month (2026-12 UTC); it resets at 2027-01-01T00:00:00.000Z
      expect(out).toMatchObject({
        exit: 1,
        calls: ["429 POST /v1/messages claude-main x-api-key spent"],
        upstream: [],
        stdout: expect.stringContaining(
          'Request rejected (429) · key "spent" has spent its budget of $0.01 for the month',
        ),
      });
    },
    REFUSED_MS + 15_000,
  );

  test(
    "Claude Code on a total budget (no Retry-After): x-should-retry stops it after one call",
    async () => {
      const out = await rig.drive(withEnv(claudeCode, { CLAUDE_CODE_MAX_RETRIES: "2" }), {
        key: "spent-total",
        group: "claude-main",
        prompt: SAY,
        timeoutMs: REFUSED_MS,
      });
      // Retries allowed, and no Retry-After to wait for: before the router sent
      // `x-should-retry: false` it made all 3 calls, 0.5 s and 1 s apart. Now one, then it prints:
      // API Error: Request rejected (429) · key "spent-total" has spent its total budget of
      // $0.01; it does not reset
      expect(out).toMatchObject({
        exit: 1,
        calls: ["429 POST /v1/messages claude-main x-api-key spent-total"],
        upstream: [],
        stdout: expect.stringContaining('key "spent-total" has spent its total budget of $0.01'),
      });
    },
    REFUSED_MS + 15_000,
  );

  test(
    "Codex: insufficient_quota is not retried, even with retries allowed",
    async () => {
      const out = await rig.drive(codex("read-only", { retries: 2 }), {
        key: "spent",
        group: "codex-main",
        prompt: SAY,
        timeoutMs: REFUSED_MS,
      });
      // Codex 0.171 shows its own words for insufficient_quota, not the router's message
      // (stderr, twice): ERROR: Quota exceeded. Check your plan and billing details.
      expect(out).toMatchObject({
        exit: 1,
        calls: ["429 POST /v1/responses codex-main bearer spent"],
        upstream: [],
        stderr: expect.stringContaining(
          "ERROR: Quota exceeded. Check your plan and billing details.",
        ),
      });
    },
    REFUSED_MS + 15_000,
  );

  test(
    "Codex under the same settings does retry a rate limit: max_parallel's 429 with Retry-After: 1",
    async () => {
      // One request of the key held open upstream takes its only parallel slot.
      rig.h.mocks.responses.reset();
      rig.h.mocks.responses.fault({ kind: "hang" });
      const hold = new AbortController();
      const held = fetch(`${rig.h.base}/v1/responses`, {
        method: "POST",
        signal: hold.signal,
        headers: { authorization: `Bearer ${SECRET.parallel}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "codex-main", input: "hold" }),
      }).catch(() => undefined);
      await rig.h.mocks.responses.waitForRequests(1);
      try {
        const out = await rig.drive(codex("read-only", { retries: 2 }), {
          key: "parallel",
          group: "codex-main",
          prompt: SAY,
          timeoutMs: REFUSED_MS,
        });
        // stderr: ERROR: Reconnecting... 1/2, … 2/2, then
        // ERROR: exceeded retry limit, last status: 429 Too Many Requests
        expect(out).toMatchObject({
          exit: 1,
          calls: Array(3).fill("429 POST /v1/responses codex-main bearer parallel"),
          upstream: [],
          stderr: expect.stringContaining("exceeded retry limit, last status: 429"),
        });
      } finally {
        hold.abort();
        await held;
      }
    },
    REFUSED_MS + 15_000,
  );
});

describe("a key without the group of Claude Code's small model", () => {
  test(
    "its small-model call gets a 403, not retried; the main task completes, billed to the main group",
    async () => {
      // With CLAUDE_CODE_EMIT_TOOL_USE_SUMMARIES, Claude Code asks its small/fast model for a
      // summary of each tool run, in -p mode too: the one background call it makes here.
      // The recipe's small group is the group of both the haiku and the small/fast model.
      const prepare = withEnv(claudeCode, { CLAUDE_CODE_EMIT_TOOL_USE_SUMMARIES: "1" });
      const { outcome, meter, answered } = await readTask(
        prepare,
        "narrow",
        "claude-main",
        "claude-small",
      );
      // It drops the refused summary without a word (nothing on stdout or stderr) and goes on.
      expect({ ...outcome, answered }).toMatchObject({
        exit: 0,
        answered: true,
        rejectedByMocks: [],
        upstream: Array(meter.requests).fill("anthropic up-cc-main"),
      });
      const refused = outcome.calls.filter((c) => !c.startsWith("200 "));
      expect(refused).toEqual(["403 POST /v1/messages claude-small x-api-key narrow"]);
      expect((await rig.usage("narrow", meter.requests)).current.groups).toEqual(
        billed("claude-main", meter),
      );
    },
    RUN_TIMEOUT_MS + 15_000,
  );
});
