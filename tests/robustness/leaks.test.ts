import { expect, test } from "bun:test";
import { join } from "node:path";

/**
 * A refused request must leave nothing behind. Each case runs in a child process that starts
 * the harness, sends one request, stops everything and should then exit on its own; a timer or
 * handle left armed by the request (an upstream deadline of up to 600 s) keeps it alive. The
 * plain request is the control.
 */
const CHILD = join(import.meta.dir, "linger-child.ts");
const BUN = process.execPath;
// Far below the 600 s a leaked deadline would hold, far above a child's start-up on a busy machine.
const EXIT_WITHIN_MS = 15_000;

async function run(
  kind: string,
): Promise<{ kind: string; status: string; exitedWithinMs: number | "still running" }> {
  const start = performance.now();
  const child = Bun.spawn([BUN, CHILD, kind], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill(), EXIT_WITHIN_MS);
  const out = await new Response(child.stdout).text();
  await child.exited;
  clearTimeout(timer);
  const ms = performance.now() - start;
  return {
    kind,
    status: out.trim().split("\n").at(-1) ?? "",
    exitedWithinMs: child.signalCode ? "still running" : Math.round(ms),
  };
}

test("after a request refused inside an attempt (a body nested too deeply to re-serialise), the process exits on its own", async () => {
  const results = await Promise.all(
    [
      "plain",
      "deep passthrough",
      "deep passthrough stream",
      "deep conversion",
      "deep conversion to responses",
      "deep responses passthrough",
      "deep responses conversion",
    ].map(run),
  );
  const summary = results.map((r) => ({
    kind: r.kind,
    status: r.status,
    exits:
      r.exitedWithinMs === "still running"
        ? `still running after ${EXIT_WITHIN_MS} ms`
        : "by itself",
  }));
  expect(summary).toEqual([
    { kind: "plain", status: "status 200", exits: "by itself" },
    { kind: "deep passthrough", status: "status 400", exits: "by itself" },
    { kind: "deep passthrough stream", status: "status 400", exits: "by itself" },
    { kind: "deep conversion", status: "status 400", exits: "by itself" },
    { kind: "deep conversion to responses", status: "status 400", exits: "by itself" },
    { kind: "deep responses passthrough", status: "status 400", exits: "by itself" },
    { kind: "deep responses conversion", status: "status 400", exits: "by itself" },
  ]);
}, 40_000);
