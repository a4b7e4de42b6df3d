/**
 * Hot reload of the running binary: by SIGHUP, by editing the file, by renaming a new file over
 * it; an invalid config leaves the old one serving; models' health survives a reload unless the
 * model's own definition changed.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startMock, type MockUpstream } from "../mocks";
import { parseExposition, value } from "../metrics/parse";
import {
  chat,
  configYaml,
  createLab,
  groupsOf,
  mockModel,
  ON_LINUX_X64,
  replaceByRename,
  waitFor,
  type Lab,
  type Running,
} from "./binary";

setDefaultTimeout(60_000);

let lab: Lab;
let oa: MockUpstream;
let an: MockUpstream;

beforeAll(async () => {
  lab = await createLab("reload");
  [oa, an] = await Promise.all([
    startMock("openai", { apiKey: "sk-reload-openai-0123456789" }),
    startMock("anthropic", { apiKey: "sk-ant-reload-0123456789" }),
  ]);
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await oa?.stop();
  await an?.stop();
});

const reloads = (r: Running) => r.stderrRecords().filter((x) => x.msg === "reload");

/**
 * The router starts watching its config a moment after its listening line (once its selectors
 * are ready), and a change made before then is not seen: on a loaded machine a test's first edit
 * can land in that gap. Rewrites the file as it is until a reload shows the watch is on; returns
 * how many reloads that took, so later counts can leave them out.
 */
async function untilWatching(r: Running, file: string, text: string): Promise<number> {
  for (let i = 0; i < 40; i++) {
    await writeFile(file, text);
    const seen = await waitFor("a reload", () => reloads(r).length > 0, 500).catch(() => false);
    // Late events of earlier pokes are let through before counting.
    if (seen) return Bun.sleep(500).then(() => reloads(r).length);
  }
  throw new Error(`the router never reloaded ${file}\nrouter stderr:\n${r.stderr.text}`);
}

async function ok(res: Response): Promise<any> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function weightOf(r: Running, model: string): Promise<number> {
  const res = await fetch(`${r.origin}/metrics`);
  expect(res.status).toBe(200);
  return value(parseExposition(await res.text()), "llm_router_effective_weight", { model });
}

describe.skipIf(!ON_LINUX_X64)("hot reload of the binary", () => {
  test("SIGHUP: a valid config adding a group, then an invalid one", async () => {
    // The router watches the directory of the path it was given; the real file lives elsewhere,
    // so only the signal can make it notice a change.
    const real = join(lab.dir, "real");
    const watched = join(lab.dir, "watched");
    await Promise.all([mkdir(real, { recursive: true }), mkdir(watched, { recursive: true })]);
    const target = join(real, "config.yaml");
    const link = join(watched, "config.yaml");
    await writeFile(target, configYaml([mockModel("A", oa), mockModel("B", an)], { alpha: ["A"] }));
    await symlink(target, link);
    const r = await lab.start(["-l", "info", "-c", link]);
    expect(await groupsOf(r.origin)).toEqual(["alpha"]);

    await writeFile(
      target,
      configYaml([mockModel("A", oa), mockModel("B", an)], { alpha: ["A"], beta: ["B"] }),
    );
    // Longer than the watcher's debounce: had it fired, beta would be listed by now.
    await Bun.sleep(500);
    expect(await groupsOf(r.origin)).toEqual(["alpha"]);

    r.signal("SIGHUP");
    await waitFor("beta to be listed", async () => (await groupsOf(r.origin))?.includes("beta"));
    const beta = await ok(await chat(r.origin, "beta", { text: "to beta" }));
    expect(beta.choices[0].message.content).toBe("echo: to beta");
    expect(an.requests.at(-1)!.path).toBe("/v1/messages");
    const alpha = await ok(await chat(r.origin, "alpha", { text: "to alpha" }));
    expect(alpha.choices[0].message.content).toBe("echo: to alpha");

    const line = await waitFor("a reload record", () => reloads(r)[0]);
    expect(line.level).toBe("info");
    expect(line.groups_added).toEqual(["beta"]);

    // An invalid config: the error names where, the old config keeps serving.
    const broken = configYaml([mockModel("A", oa), mockModel("B", an)], {
      alpha: ["A"],
      beta: ["B"],
      gamma: ["C"],
    }).replace("api_type: anthropic", "api_type: anthropik");
    await writeFile(target, broken);
    r.signal("SIGHUP");
    const failed = await waitFor("a reload failure record", () =>
      r.stderrRecords().find((x) => x.msg?.startsWith("reload failed")),
    );
    expect(failed.level).toBe("error");
    expect(failed.msg).toBe("reload failed; still serving the previous config");
    // Both problems, each at its own line; the router reports the path it was given, the symlink.
    const lineOf = (needle: string) => broken.split("\n").findIndex((l) => l.includes(needle)) + 1;
    const at = (needle: string) => `${link.replaceAll(".", "\\.")}:${lineOf(needle)}:\\d+: `;
    expect(failed.error).toMatch(
      new RegExp(`${at("anthropik")}model_list\\[1\\]\\.llm_params\\.api_type: .*anthropik`),
    );
    expect(failed.error).toMatch(new RegExp(`${at("{ name: C }")}.*model "C" is not defined`));
    expect(reloads(r)).toHaveLength(1);
    expect(await groupsOf(r.origin)).toEqual(["alpha", "beta"]);
    await ok(await chat(r.origin, "beta"));

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000), r.stderr.text).toBe(0);
  });

  test("editing the file, or renaming a new one over it, reloads without a signal", async () => {
    const dir = join(lab.dir, "edit");
    await mkdir(dir, { recursive: true });
    const file = join(dir, "config.yaml");
    const models = [mockModel("A", oa), mockModel("B", an)];
    await writeFile(file, configYaml(models, { one: ["A"] }));
    const r = await lab.start(["-l", "info", "-c", file]);
    const before = await untilWatching(r, file, configYaml(models, { one: ["A"] }));

    const steps: [string, () => Promise<void>, string[]][] = [
      [
        "written in place",
        () => writeFile(file, configYaml(models, { one: ["A"], two: ["B"] })),
        ["one", "two"],
      ],
      [
        "renamed over",
        () => replaceByRename(file, configYaml(models, { one: ["A"], three: ["B"] })),
        ["one", "three"],
      ],
      // The watch must survive the rename: a later in-place edit is seen too.
      [
        "written after a rename",
        () => writeFile(file, configYaml(models, { one: ["A"], four: ["A", "B"] })),
        ["four", "one"],
      ],
      [
        "renamed over again",
        () => replaceByRename(file, configYaml(models, { five: ["B"] })),
        ["five"],
      ],
    ];
    // Waits for each change to show, however long a loaded machine takes to deliver the file event:
    // without the watch it would never show (the SIGHUP test proves nothing else reloads).
    for (const [how, change, want] of steps) {
      await change();
      await waitFor(
        `the config ${how} to apply`,
        async () => JSON.stringify(await groupsOf(r.origin)) === JSON.stringify(want),
        20_000,
        20,
      ).catch(async (e: Error) => {
        throw new Error(
          `${e.message}; groups now ${JSON.stringify(await groupsOf(r.origin))}\nrouter stderr:\n${r.stderr.text}`,
        );
      });
    }
    const last = await ok(await chat(r.origin, "five", { text: "after edits" }));
    expect(last.choices[0].message.content).toBe("echo: after edits");
    // A burst of events per save must still mean one reload per change, or at most a few.
    expect(reloads(r).length - before).toBeGreaterThanOrEqual(steps.length);
    expect(reloads(r).length - before).toBeLessThanOrEqual(steps.length * 2);

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000), r.stderr.text).toBe(0);
  });

  test("health of an unchanged model survives a reload; changing its key resets it", async () => {
    const dir = join(lab.dir, "health");
    await mkdir(dir, { recursive: true });
    const file = join(dir, "config.yaml");
    const B = mockModel("B", an);
    await writeFile(file, configYaml([mockModel("A", oa), B], { ga: ["A"], gb: ["B"] }));
    const r = await lab.start(["-l", "info", "-c", file]);
    await untilWatching(r, file, configYaml([mockModel("A", oa), B], { ga: ["A"], gb: ["B"] }));
    expect(await weightOf(r, "A")).toBe(100);

    oa.fault({ kind: "status", status: 500 });
    const failed = await chat(r.origin, "ga");
    expect(failed.status).toBe(500);
    await failed.text();
    expect(await weightOf(r, "A")).toBe(50);
    expect(await weightOf(r, "B")).toBe(100);

    // Each change is recognised by what its reload says it changed.
    const reloaded = (what: string, is: (x: Record<string, any>) => boolean) =>
      waitFor(what, () => reloads(r).find(is), 20_000);
    await writeFile(file, configYaml([mockModel("A", oa), B], { ga: ["A"], gb: ["B"], gc: ["B"] }));
    await reloaded("the reload adding gc", (x) => x.groups_added?.includes("gc"));
    expect(await weightOf(r, "A")).toBe(50);

    await writeFile(
      file,
      configYaml([mockModel("A", oa, "sk-reload-openai-rotated-key"), B], {
        ga: ["A"],
        gb: ["B"],
        gc: ["B"],
      }),
    );
    const changed = await reloaded("the reload changing A", (x) => x.models_changed?.length > 0);
    expect(changed.models_changed).toEqual(["A"]);
    expect(await weightOf(r, "A")).toBe(100);

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000), r.stderr.text).toBe(0);
  });
});
