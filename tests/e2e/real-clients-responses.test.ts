import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startMock, type MockKind, type MockUpstream, type Responder } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";
import {
  ensureInstalled,
  INSTALL_TIMEOUT_MS,
  RUN_TIMEOUT_MS,
  runBounded,
  scratch,
  type Drive,
  type Invocation,
  type Run,
} from "./real-clients/cli";
import { codex } from "./real-clients/codex";
import { opencode } from "./real-clients/opencode";
import { fileReader, filePatcher, requestsWithResult, type LineEdit } from "./real-clients/script";

/**
 * The real Codex CLI and opencode, the Responses API's best-known clients, finish file tasks
 * through the router against every kind of upstream. Reading: the scripted upstream asks for
 * the CLI's shell (Codex) or read tool (opencode) and answers from its result, so the secret in
 * the file reaches stdout only through a full tool round trip. Patching: the upstream calls
 * Codex's freeform `apply_patch`, and the file on disk must change as asked. Codex runs with a
 * catalog describing the group like the models it ships with, and, as a user of the README's
 * recipe runs it, without one: a group named after no model it knows still reads a file, and one
 * named after a model it knows gets that model's apply_patch. The same tasks
 * straight against the strict Responses mock, without the router, tell a router fault apart
 * from a client the mock or the scripts no longer fit.
 */

const FILE = "notes.txt";
const READ = `Read the file ${FILE} in the current directory and tell me exactly what it says.`;

type Task = "read" | "patch";
interface Case {
  cli: "Codex" | "opencode";
  task: Task;
  /** the group, which is also the kind of mock behind it */
  group: MockKind;
  /**
   * Codex with the README's config.toml alone, no catalog describing the group: it picks its
   * tools by the model's name, and a name it does not know gets fallback metadata.
   */
  noCatalog?: true;
  /** the group's name when it is not the mock's kind */
  name?: string;
}

/** A model Codex 0.171 ships metadata for (apply_patch among its tools), as a group's name. */
const CODEX_MODEL = "gpt-5.5";

const CASES: Case[] = [
  ...(["responses", "openai", "anthropic", "gemini"] as const).flatMap((group) =>
    (["read", "patch"] as const).map((task): Case => ({ cli: "Codex", task, group })),
  ),
  // The recipe's `model = "gpt"` is no model Codex knows: it reads through its shell all the same.
  { cli: "Codex", task: "read", group: "openai", noCatalog: true },
  // apply_patch comes with a group named after a model it knows
  { cli: "Codex", task: "patch", group: "openai", noCatalog: true, name: CODEX_MODEL },
  ...(["responses", "openai", "anthropic"] as const).map((group): Case => ({
    cli: "opencode",
    task: "read",
    group,
  })),
];

function prepare(c: Case): (d: Drive) => Promise<Invocation> {
  if (c.cli === "opencode") return opencode("responses");
  return codex(c.task === "read" ? "read-only" : "workspace-write", { catalog: !c.noCatalog });
}

let h: Harness;
let direct: MockUpstream;
beforeAll(async () => {
  const install = await ensureInstalled();
  if (install.installed)
    console.log(`real-clients: installing the CLIs took ${Math.round(install.ms / 1000)} s`);
  [h, direct] = await Promise.all([
    startHarness(`    - { name: ${CODEX_MODEL}, models: [{ name: oa }] }`),
    startMock("responses"),
  ]);
}, INSTALL_TIMEOUT_MS + 30_000);
afterAll(() => Promise.all([h?.stop(), direct?.stop()]));

const tail = (s: string, n = 1500) => (s.length > n ? `…${s.slice(-n)}` : s);

/** Where a run's requests go: the scripted mock, and every mock that must stay untouched. */
interface Upstream {
  base: string;
  token: string;
  mock: MockUpstream;
  all: MockUpstream[];
}

/** A group whose mock the harness does not start fails with that said, not with a TypeError. */
function throughRouter(group: MockKind): Upstream {
  const mocks: Partial<Record<MockKind, MockUpstream>> = h.mocks;
  const mock = mocks[group];
  if (!mock) throw new Error(`the harness has no "${group}" mock upstream and group`);
  return { base: h.base, token: TOKEN, mock, all: Object.values(h.mocks) };
}

const withoutRouter = (): Upstream => ({
  base: direct.url,
  token: direct.apiKey,
  mock: direct,
  all: [direct],
});

/**
 * Runs the CLI on a fresh scratch with `responder` scripting the group's mock. The outcome is
 * one object, so a failure prints every symptom at once: what the CLI said, what the strict
 * mock refused, and what else the run touched.
 */
async function attempt(
  c: Case,
  up: Upstream,
  files: Record<string, string>,
  prompt: string,
  script: (work: string) => Responder,
  check: (run: Run, work: string, mock: MockUpstream) => Promise<Record<string, unknown>>,
) {
  const s = await scratch(files);
  try {
    const { mock } = up;
    for (const m of up.all) m.reset();
    mock.respond(script(s.work));
    const group = c.name ?? c.group;
    const drive = { base: up.base, token: up.token, group, prompt, scratch: s };
    const run = await runBounded(await prepare(c)(drive), RUN_TIMEOUT_MS);
    const others = up.all.filter((m) => m !== mock);
    return {
      exit: run.timedOut ? `timed out after ${run.ms} ms` : run.code,
      leftoverProcesses: run.leftover,
      rejectedByMock: mock.requests
        .filter((r) => r.rejected)
        .map((r) => `${r.rejected!.status} ${r.rejected!.message}`),
      requestsToOtherMocks: others.reduce((n, m) => n + m.requests.length, 0),
      ...(await check(run, s.work, mock)),
      // not asserted: shows a client looping on answers it cannot finish a turn with
      upstreamRequests: mock.requests.length,
      stdout: tail(run.stdout),
      stderr: tail(run.stderr),
    };
  } finally {
    await s.cleanup();
  }
}

const clean = { exit: 0, leftoverProcesses: false, rejectedByMock: [], requestsToOtherMocks: 0 };

async function readTask(c: Case, up: Upstream) {
  const content = `llm-router-secret-${crypto.randomUUID()}`;
  const outcome = await attempt(
    c,
    up,
    { [FILE]: `${content}\n` },
    READ,
    (work) => fileReader(c.group, { path: join(work, FILE), content }),
    async (run, _work, mock) => ({
      answeredWithContent: run.stdout.includes(content),
      toolResultReachedUpstream: requestsWithResult(mock, content).length > 0,
    }),
  );
  expect(outcome).toMatchObject({
    ...clean,
    answeredWithContent: true,
    toolResultReachedUpstream: true,
  });
}

async function patchTask(c: Case, up: Upstream) {
  const edit: LineEdit = {
    file: FILE,
    before: "status: draft",
    after: `status: approved ${crypto.randomUUID()}`,
  };
  const outcome = await attempt(
    c,
    up,
    { [FILE]: `title: notes\n${edit.before}\nend\n` },
    `In ${FILE}, replace the line "${edit.before}" with "${edit.after}" using apply_patch.`,
    () => filePatcher(c.group, edit),
    async (_run, work, mock) => ({
      fileOnDisk: await readFile(join(work, FILE), "utf8"),
      // apply_patch reports the files it changed, so its result names the file
      patchResultReachedUpstream: requestsWithResult(mock, FILE).length > 0,
    }),
  );
  expect(outcome).toMatchObject({
    ...clean,
    fileOnDisk: `title: notes\n${edit.after}\nend\n`,
    patchResultReachedUpstream: true,
  });
}

const run = (c: Case, up: () => Upstream) => () =>
  c.task === "read" ? readTask(c, up()) : patchTask(c, up());
const doing = (c: Case) =>
  `${c.cli}${c.noCatalog ? " (no model catalog)" : ""} ${c.task === "read" ? "reads a file" : "patches a file"}`;
const groupOf = (c: Case) => (c.name ? `${c.name} (${c.group})` : c.group);

describe("Codex and opencode finish file tasks through the router", () => {
  for (const c of CASES) {
    const how = c.group === "responses" ? "passthrough" : "converted";
    test(
      `${doing(c)} → group ${groupOf(c)} (${how})`,
      run(c, () => throughRouter(c.group)),
      RUN_TIMEOUT_MS + 15_000,
    );
  }
});

describe("the same tasks straight against the strict Responses mock", () => {
  for (const c of CASES.filter((c) => c.group === "responses"))
    test(`${doing(c)} → the mock, no router`, run(c, withoutRouter), RUN_TIMEOUT_MS + 15_000);
});
