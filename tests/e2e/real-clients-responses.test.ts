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
import {
  declaresTool,
  fileReader,
  filePatcher,
  requestsWithResult,
  type LineEdit,
} from "./real-clients/script";

/**
 * The real Codex CLI and opencode, the Responses API's best-known clients, finish file tasks
 * through the router against every kind of upstream. Reading: the scripted upstream asks for
 * the CLI's shell (Codex) or read tool (opencode) and answers from its result, so the secret in
 * the file reaches stdout only through a full tool round trip. Patching: the upstream calls
 * Codex's freeform `apply_patch`, and the file on disk must change as asked. Codex runs with a
 * catalog describing the group as a reasoning model, like the models it ships with, and with the
 * README's recipe alone: its config.toml and catalog, and the group it names, `gpt`. The same
 * tasks straight against the strict Responses mock, without the router, tell a router fault apart
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
   * Codex with the README's recipe for the group `name`: as it is, config.toml and catalog
   * ("recipe"), or its alternative, config.toml without the catalog line ("builtin")
   */
  recipe?: "recipe" | "builtin";
  /** the group's name when it is not the mock's kind */
  name?: string;
}

/** A model Codex 0.171 ships metadata for (apply_patch among its tools), as the README names it. */
const CODEX_MODEL = "gpt-5.5";

/** The group the README's Codex recipe names, here in front of the OpenAI mock. */
const README_GROUP = "gpt";

const CASES: Case[] = [
  ...(["responses", "openai", "anthropic", "gemini"] as const).flatMap((group) =>
    (["read", "patch"] as const).map((task): Case => ({ cli: "Codex", task, group })),
  ),
  ...(["read", "patch"] as const).map((task): Case => ({
    cli: "Codex",
    task,
    group: "openai",
    recipe: "recipe",
    name: README_GROUP,
  })),
  // The alternative: a group named after a model Codex ships metadata for, and no catalog.
  { cli: "Codex", task: "patch", group: "openai", recipe: "builtin", name: CODEX_MODEL },
  ...(["responses", "openai", "anthropic"] as const).map((group): Case => ({
    cli: "opencode",
    task: "read",
    group,
  })),
];

function prepare(c: Case): (d: Drive) => Promise<Invocation> {
  if (c.cli === "opencode") return opencode("responses");
  const sandbox = c.task === "read" ? "read-only" : "workspace-write";
  return codex(sandbox, { catalog: c.recipe ?? "reasoning" });
}

let h: Harness;
let direct: MockUpstream;
beforeAll(async () => {
  const install = await ensureInstalled();
  if (install.installed)
    console.log(`real-clients: installing the CLIs took ${Math.round(install.ms / 1000)} s`);
  [h, direct] = await Promise.all([
    startHarness(
      `    - { name: ${README_GROUP}, models: [{ name: oa }] }
    - { name: ${CODEX_MODEL}, models: [{ name: oa }] }`,
    ),
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
      // Codex's warning when no catalog entry describes the model
      fellBackToDefaultMetadata: run.stderr.includes("Defaulting to fallback metadata"),
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

const clean = {
  exit: 0,
  leftoverProcesses: false,
  rejectedByMock: [],
  requestsToOtherMocks: 0,
  fellBackToDefaultMetadata: false,
};

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
      applyPatchDeclared: mock.requests.some((r) => declaresTool(mock.kind, r.body, "apply_patch")),
      // apply_patch reports the files it changed, so its result names the file
      patchResultReachedUpstream: requestsWithResult(mock, FILE).length > 0,
    }),
  );
  expect(outcome).toMatchObject({
    ...clean,
    applyPatchDeclared: true,
    fileOnDisk: `title: notes\n${edit.after}\nend\n`,
    patchResultReachedUpstream: true,
  });
}

const run = (c: Case, up: () => Upstream) => () =>
  c.task === "read" ? readTask(c, up()) : patchTask(c, up());
const doing = (c: Case) =>
  `${c.cli}${c.recipe ? ` (the README's recipe${c.recipe === "builtin" ? ", no catalog" : ""})` : ""} ${c.task === "read" ? "reads a file" : "patches a file"}`;
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
