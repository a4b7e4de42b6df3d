/**
 * --workers N: N processes share one port; the supervisor forwards signals and exits when they
 * have stopped. (Throughput with 2 workers against 1 is measured in `bun run bench`.)
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startMock, type MockUpstream } from "../mocks";
import { chat, configYaml, createLab, mockModel, ON_LINUX_X64, waitFor, type Lab } from "./binary";

setDefaultTimeout(60_000);

let lab: Lab;
let mock: MockUpstream;
let config = "";

beforeAll(async () => {
  lab = await createLab("workers");
  mock = await startMock("openai", { apiKey: "sk-workers-upstream-0123456789" });
  config = join(lab.dir, "config.yaml");
  await writeFile(config, configYaml([mockModel("fast", mock)], { quick: ["fast"] }));
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await mock?.stop();
});

/** PIDs whose parent is `pid`, from /proc. */
async function children(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.split(") ")[1]?.split(" ")[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out;
}

describe.skipIf(!ON_LINUX_X64)("--workers", () => {
  test("2 workers share the port, answer, and stop together on SIGTERM with exit 0", async () => {
    const token = "workers-token-not-in-ps-0123456789";
    const r = await lab.start(["-c", config, "--workers", "2", "-t", token]);
    expect(r.listening).toContain("2 workers");
    const kids = await waitFor("two worker processes", async () =>
      (await children(r.proc.pid)).length === 2 ? true : undefined,
    );
    expect(kids).toBe(true);
    const pids = await children(r.proc.pid);
    // What `ps` shows of a worker never holds the token; its environment (its owner's to read) does.
    for (const pid of pids) {
      expect(await readFile(`/proc/${pid}/cmdline`, "utf8")).not.toContain(token);
      expect((await readFile(`/proc/${pid}/environ`, "utf8")).split("\0")).toContain(
        `LLM_ROUTER_TOKEN=${token}`,
      );
    }
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => chat(r.origin, "quick", { token }).then((x) => x.status)),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
    for (const pid of pids) expect(await Bun.file(`/proc/${pid}/stat`).exists()).toBe(false);
  });

  test("a crashed worker is replaced", async () => {
    const r = await lab.start(["-c", config, "--workers", "2"]);
    const [first] = await waitFor("workers", async () => {
      const k = await children(r.proc.pid);
      return k.length === 2 ? k : undefined;
    });
    process.kill(first!, "SIGKILL");
    const replaced = await waitFor(
      "a replacement worker",
      async () => {
        const k = await children(r.proc.pid);
        return k.length === 2 && !k.includes(first!) ? k : undefined;
      },
      20_000,
    );
    expect(replaced).toHaveLength(2);
    expect(r.stderr.text).toMatch(
      new RegExp(`worker \\d \\(pid ${first}\\) exited with code \\d+; restarting it in 1 s`),
    );
    expect((await chat(r.origin, "quick")).status).toBe(200);
    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
  });

  test("an invalid --workers value is a one-line usage error, exit 2", async () => {
    const r = await lab.run(["--workers", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
