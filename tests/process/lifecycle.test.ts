/**
 * The process's life as an operator sees it: the startup line, a port already taken, and a
 * graceful stop on SIGTERM and SIGINT that lets a running stream finish while refusing new
 * connections. Not covered: a stream outliving the 30 s grace period (cut, then exit 0) —
 * the grace period has no flag and waiting it out would blow the suite's time budget.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { startMock, type MockUpstream } from "../mocks";
import {
  chat,
  configYaml,
  createLab,
  mockModel,
  modelYaml,
  ON_LINUX_X64,
  refused,
  startSlowUpstream,
  waitFor,
  type Lab,
} from "./binary";

setDefaultTimeout(60_000);

let lab: Lab;
let mock: MockUpstream;
let slow: ReturnType<typeof startSlowUpstream>;
let config = "";

beforeAll(async () => {
  lab = await createLab("lifecycle");
  mock = await startMock("openai", { apiKey: "sk-lifecycle-upstream-0123456789" });
  // ~3 s of stream: long enough that a loaded machine still refuses new connections well before its end.
  slow = startSlowUpstream(20, 150);
  config = join(lab.dir, "config.yaml");
  await writeFile(
    config,
    configYaml(
      [mockModel("fast", mock), modelYaml("slowpoke", "openai", slow.apiBase, "sk-slow")],
      { quick: ["fast"], slow: ["slowpoke"], both: ["fast", "slowpoke"] },
    ),
  );
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await mock?.stop();
  await slow?.stop();
});

describe.skipIf(!ON_LINUX_X64)("process lifecycle", () => {
  test("startup prints exactly one line naming the address, the groups and the model count", async () => {
    const r = await lab.start(["-c", config]);
    // Nothing else may follow on stdout: it is what scripts read the port from.
    await Bun.sleep(200);
    expect(r.stdout.lines()).toEqual([r.listening]);
    expect(r.listening).toMatch(
      new RegExp(
        `^llm-router ${pkg.version.replaceAll(".", "\\.")}\\S* listening on http://127\\.0\\.0\\.1:\\d+ \\(3 groups: quick, slow, both; 2 models\\)$`,
      ),
    );
    expect(r.port).toBeGreaterThan(0);
    // Loopback without a token is fine, so a warn-level run has nothing to say.
    expect(r.stderr.text).toBe("");
    const health = await fetch(`${r.origin}/health`);
    expect(await health.json()).toEqual({ status: "ok" });

    // A second router on the same port must fail loudly, not share the port.
    const second = await lab.run(["-i", "127.0.0.1", "-p", String(r.port), "-c", config]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    const lines = second.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^llm-router: cannot listen on 127\\.0\\.0\\.1:${r.port}: address already in use$`,
      ),
    );
    // The first one is unaffected.
    expect((await fetch(`${r.origin}/health`)).status).toBe(200);

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
  });

  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    test(`${sig} during a slow stream: the stream completes, new connections are refused, exit 0 after the stream`, async () => {
      const r = await lab.start(["-c", config]);
      const res = await chat(r.origin, "slow", { stream: true });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = "";
      // The first frame proves the stream is open end to end before the signal goes out.
      const first = await reader.read();
      text += dec.decode(first.value, { stream: true });
      expect(text).toContain("chat.completion.chunk");

      // The probe must be able to say "accepted", or "refused" later would prove nothing.
      expect(await refused(r.port)).toBe(false);
      let exitedAt = Infinity;
      void r.exited.then(() => (exitedAt = performance.now()));
      r.signal(sig);
      const signalled = performance.now();
      // Refusal must show while the stream is still running, or it would prove nothing.
      await waitFor("new connections to be refused", () => refused(r.port), 2_500, 10);
      const refusedAfterMs = performance.now() - signalled;
      expect(r.code).toBeNull();

      let reads = 0;
      for (; reads < 200; reads++) {
        const { done, value } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      const streamEnded = performance.now();
      expect(reads).toBeLessThan(200);
      for (let i = 0; i < 20; i++) expect(text).toContain(`"content":"c${i} "`);
      expect(text).toContain('"finish_reason":"stop"');
      expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
      // The stream still had most of its ~3 s to run when the port stopped accepting.
      expect(refusedAfterMs).toBeLessThan(streamEnded - signalled);

      const code = await r.exitWithin(10_000);
      expect(code, r.stderr.text).toBe(0);
      // Not before the stream's end (which the complete stream above proves as well): compared with
      // slack, since a loaded client may read the last frame a while after the server sent it.
      expect(exitedAt).toBeGreaterThan(signalled + 1_000);
      expect(r.stderr.text).toBe("");
    });
  }

  test("a stop with nothing running is immediate", async () => {
    const r = await lab.start(["-c", config]);
    const res = await chat(r.origin, "quick");
    expect(res.status).toBe(200);
    await res.text();
    const t0 = performance.now();
    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
    // Idle keep-alive connections must not hold the process for the 30 s grace period.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
