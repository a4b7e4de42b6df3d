import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { MockKind } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";
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
import { geminiCli } from "./real-clients/gemini-cli";
import { opencode } from "./real-clients/opencode";
import { qwenCode } from "./real-clients/qwen-code";
import { fileReader, requestsWithResult } from "./real-clients/script";
import { startTap, type Tap } from "./real-clients/tap";

/**
 * The real Claude Code and Gemini CLI, headless, finish a tool-using task through the router: the
 * scripted upstream asks for the CLI's own file-reading tool and answers from its result, so the
 * secret in the file can only reach stdout through a full tool round trip. Each CLI runs against
 * its own format (passthrough) and against every other (converted both ways), the Responses API too.
 * Qwen Code (OpenAI Chat) and opencode with its OpenAI-compatible and its Anthropic provider run
 * against their own format and one converted (opencode's Responses provider, and Codex, are in
 * real-clients-responses.test.ts). A tap in front of the router shows that every call spoke the
 * CLI's own API and was answered 200: no background call named a model the recipe left out.
 */

const FILE = "notes.txt";
const PROMPT = `Read the file ${FILE} in the current directory with your file-reading tool and tell me exactly what it says.`;

interface Client {
  cli: string;
  prepare: (d: Drive) => Promise<Invocation>;
  /** the format it speaks */
  native: MockKind;
}

interface Case extends Client {
  /** the group, which is also the kind of mock behind it */
  group: MockKind;
}

const CLAUDE: Client = { cli: "Claude Code", prepare: claudeCode, native: "anthropic" };
const GEMINI: Client = { cli: "Gemini CLI", prepare: geminiCli, native: "gemini" };
const QWEN: Client = { cli: "Qwen Code", prepare: qwenCode, native: "openai" };
const OPENCODE_CHAT: Client = {
  cli: "opencode (OpenAI-compatible provider)",
  prepare: opencode("chat"),
  native: "openai",
};
const OPENCODE_ANTHROPIC: Client = {
  cli: "opencode (Anthropic provider)",
  prepare: opencode("anthropic"),
  native: "anthropic",
};

const against = (client: Client, groups: MockKind[]): Case[] =>
  groups.map((group) => ({ ...client, group }));

const CASES: Case[] = [
  ...against(CLAUDE, ["anthropic", "openai", "gemini", "responses"]),
  ...against(GEMINI, ["gemini", "openai", "anthropic", "responses"]),
  ...against(QWEN, ["openai", "anthropic"]),
  ...against(OPENCODE_CHAT, ["openai", "gemini"]),
  ...against(OPENCODE_ANTHROPIC, ["anthropic", "responses"]),
];

/** The endpoint each API calls, streaming (Gemini names the group in the path). */
const ENDPOINT: Record<MockKind, (group: string) => string> = {
  anthropic: () => "/v1/messages",
  openai: () => "/v1/chat/completions",
  gemini: (group) => `/v1beta/models/${group}:streamGenerateContent`,
  responses: () => "/v1/responses",
};

let h: Harness;
let tap: Tap;
beforeAll(async () => {
  const install = await ensureInstalled();
  if (install.installed)
    console.log(`real-clients: installing the CLIs took ${Math.round(install.ms / 1000)} s`);
  h = await startHarness();
  tap = startTap(h.base);
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(async () => {
  await tap?.stop();
  await h?.stop();
});

const tail = (s: string, n = 1500) => (s.length > n ? `…${s.slice(-n)}` : s);

describe("real CLIs read a file through the router", () => {
  for (const c of CASES) {
    test(
      `${c.cli} → group ${c.group} (${c.group === c.native ? "passthrough" : "converted"})`,
      async () => {
        const content = `llm-router-secret-${crypto.randomUUID()}`;
        const s = await scratch({ [FILE]: `${content}\n` });
        try {
          for (const m of Object.values(h.mocks)) m.reset();
          tap.seen.length = 0;
          const mock = h.mocks[c.group];
          mock.respond(fileReader(c.group, { path: join(s.work, FILE), content }));
          const run = await runBounded(
            await c.prepare({
              base: tap.url,
              token: TOKEN,
              group: c.group,
              prompt: PROMPT,
              scratch: s,
            }),
            RUN_TIMEOUT_MS,
          );

          // One object, so a failure prints every symptom at once: what the CLI said, what the
          // strict mock refused, and whether the tool result ever reached the upstream.
          const others = Object.values(h.mocks).filter((m) => m !== mock);
          const outcome = {
            exit: run.timedOut ? `timed out after ${run.ms} ms` : run.code,
            answeredWithContent: run.stdout.includes(content),
            toolResultReachedUpstream: requestsWithResult(mock, content).length > 0,
            rejectedByMock: mock.requests
              .filter((r) => r.rejected)
              .map((r) => `${r.rejected!.status} ${r.rejected!.message}`),
            requestsToOtherMocks: others.reduce((n, m) => n + m.requests.length, 0),
            // Claude Code's bare HEAD of the base URL at startup (a warm-up) is left out.
            calls: tap.seen
              .filter((t) => !(t.method === "HEAD" && t.path === "/"))
              .map((t) => `${t.status} ${t.method} ${t.path}`),
            stdout: tail(run.stdout),
            stderr: tail(run.stderr),
          };
          expect(outcome).toMatchObject({
            exit: 0,
            answeredWithContent: true,
            toolResultReachedUpstream: true,
            rejectedByMock: [],
            requestsToOtherMocks: 0,
            calls: mock.requests.map(() => `200 POST ${ENDPOINT[c.native](c.group)}`),
          });
        } finally {
          await s.cleanup();
        }
      },
      RUN_TIMEOUT_MS + 15_000,
    );
  }
});
