import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { MockKind } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";
import {
  claudeCode,
  ensureInstalled,
  geminiCli,
  INSTALL_TIMEOUT_MS,
  RUN_TIMEOUT_MS,
  runBounded,
  scratch,
  type Drive,
  type Invocation,
} from "./real-clients/cli";
import { fileReader, requestsWithResult } from "./real-clients/script";

/**
 * The real Claude Code and Gemini CLI, headless, finish a tool-using task through the router: the
 * scripted upstream asks for the CLI's own file-reading tool and answers from its result, so the
 * secret in the file can only reach stdout through a full tool round trip. Each CLI runs against
 * its own format (passthrough) and against every other (converted both ways), the Responses API too.
 */

const FILE = "notes.txt";
const PROMPT = `Read the file ${FILE} in the current directory with your file-reading tool and tell me exactly what it says.`;

interface Case {
  cli: "Claude Code" | "Gemini CLI";
  prepare: (d: Drive) => Promise<Invocation>;
  /** the group, which is also the kind of mock behind it */
  group: MockKind;
}

const CASES: Case[] = [
  { cli: "Claude Code", prepare: claudeCode, group: "anthropic" },
  { cli: "Claude Code", prepare: claudeCode, group: "openai" },
  { cli: "Claude Code", prepare: claudeCode, group: "gemini" },
  { cli: "Claude Code", prepare: claudeCode, group: "responses" },
  { cli: "Gemini CLI", prepare: geminiCli, group: "gemini" },
  { cli: "Gemini CLI", prepare: geminiCli, group: "openai" },
  { cli: "Gemini CLI", prepare: geminiCli, group: "anthropic" },
  { cli: "Gemini CLI", prepare: geminiCli, group: "responses" },
];

let h: Harness;
beforeAll(async () => {
  const install = await ensureInstalled();
  if (install.installed)
    console.log(`real-clients: installing the CLIs took ${Math.round(install.ms / 1000)} s`);
  h = await startHarness();
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(() => h?.stop());

const tail = (s: string, n = 1500) => (s.length > n ? `…${s.slice(-n)}` : s);

describe("real CLIs read a file through the router", () => {
  for (const c of CASES) {
    const native: MockKind = c.cli === "Claude Code" ? "anthropic" : "gemini";
    test(
      `${c.cli} → group ${c.group} (${c.group === native ? "passthrough" : "converted"})`,
      async () => {
        const content = `llm-router-secret-${crypto.randomUUID()}`;
        const s = await scratch({ [FILE]: `${content}\n` });
        try {
          for (const m of Object.values(h.mocks)) m.reset();
          const mock = h.mocks[c.group];
          mock.respond(fileReader(c.group, { path: join(s.work, FILE), content }));
          const run = await runBounded(
            await c.prepare({
              base: h.base,
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
            stdout: tail(run.stdout),
            stderr: tail(run.stderr),
          };
          expect(outcome).toMatchObject({
            exit: 0,
            answeredWithContent: true,
            toolResultReachedUpstream: true,
            rejectedByMock: [],
            requestsToOtherMocks: 0,
          });
        } finally {
          await s.cleanup();
        }
      },
      RUN_TIMEOUT_MS + 15_000,
    );
  }
});
