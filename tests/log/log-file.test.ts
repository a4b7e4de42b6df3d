import { afterAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, DEFAULT_MAX_FILE_BYTES, FileSink } from "../../src/log";

const dir = mkdtempSync(join(tmpdir(), "llm-router-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
function freshPath(): string {
  const sub = join(dir, `t${seq++}`);
  mkdirSync(sub);
  return join(sub, "router.log");
}
const KB64 = 64 * 1024;
const tick = () => new Promise((r) => setImmediate(r));

function lines(path: string): string[] {
  return [path + ".1", path].flatMap((p) =>
    existsSync(p) ? readFileSync(p, "utf8").split("\n").filter(Boolean) : [],
  );
}
const numbers = (path: string) => lines(path).map((l) => JSON.parse(l).n as number);

/**
 * Checks the files on a 1 ms timer and on demand: sizes within the cap, never a third file, and
 * each rotation a rename (the new PATH.1 is the very inode PATH was; a copy would be another one).
 * Also measures the timer's lag. Checks come often enough to see each rotation on its own.
 */
function watchFiles(path: string, cap: number) {
  let checks = 0,
    rotations = 0,
    maxSize = 0,
    maxLag = 0,
    last = performance.now();
  let prevIno: number | undefined;
  const problems: string[] = [];
  const check = () => {
    checks++;
    for (const p of [path, path + ".1"]) {
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      maxSize = Math.max(maxSize, st.size);
      if (st.size > cap) problems.push(`${p} is ${st.size} bytes`);
    }
    const cur = statSync(path, { throwIfNoEntry: false })?.ino;
    if (cur !== undefined && prevIno !== undefined && cur !== prevIno) {
      rotations++;
      if (statSync(path + ".1").ino !== prevIno) problems.push("rotation was not a rename");
    }
    if (cur !== undefined) prevIno = cur;
    const extra = readdirSync(join(path, "..")).filter(
      (f) => f !== "router.log" && f !== "router.log.1",
    );
    if (extra.length) problems.push(`unexpected files ${extra}`);
  };
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last);
    last = now;
    check();
  }, 1);
  return {
    check,
    stop: () => (clearInterval(timer), { rotations, checks, maxSize, maxLag, problems }),
  };
}

describe("log file", () => {
  test("one rotation: every record kept exactly once, in order, across PATH.1 and PATH", async () => {
    const path = freshPath();
    const log = createLogger({ level: "info", stderr: "off", file: path, maxFileBytes: KB64 });
    const N = 900; // ~100 bytes each: about 1.4 files
    for (let n = 0; n < N; n++) log.info("rec", { n, pad: "x".repeat(40) });
    await log.close();
    expect(numbers(path)).toEqual(Array.from({ length: N }, (_, i) => i));
    const firstOfNew = Buffer.byteLength(readFileSync(path, "utf8").split("\n")[0]! + "\n");
    // PATH.1 was rotated only when the next record would not fit, not earlier.
    expect(statSync(path + ".1").size + firstOfNew).toBeGreaterThan(KB64);
  });

  test("many rotations: cap held at every check, one previous file, contiguous at the boundary, by rename", async () => {
    const path = freshPath();
    const N = 8000; // ~1 MB: about 14 rotations
    const log = createLogger({ level: "debug", stderr: "off", file: path, maxFileBytes: KB64 });
    const watch = watchFiles(path, KB64);
    for (let n = 0; n < N; n++) {
      log.debug("rec", { n, pad: "y".repeat(60) });
      // Flushing per 100 records (~11 KB) puts every rotation between two checks, so each is seen.
      if (n % 100 === 99) {
        watch.check();
        await log.flush();
        watch.check();
      }
    }
    await log.flush();
    watch.check();
    const seen = watch.stop();
    expect(seen.problems).toEqual([]);
    expect(seen.maxSize).toBeLessThanOrEqual(KB64);
    expect(seen.rotations).toBeGreaterThanOrEqual(12);
    const got = numbers(path);
    expect(got.at(-1)).toBe(N - 1);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
    await log.close();
  });

  test("an existing file is appended to and counts toward the cap", async () => {
    const path = freshPath();
    const log0 = createLogger({ level: "info", stderr: "off", file: path, maxFileBytes: KB64 });
    await log0.close();
    const old = "old line\n".repeat(Math.floor((KB64 - 50) / 9));
    writeFileSync(path, old);
    const log = createLogger({ level: "info", stderr: "off", file: path, maxFileBytes: KB64 });
    log.info("rec", { n: 0, pad: "z".repeat(100) });
    await log.close();
    expect(readFileSync(path + ".1", "utf8")).toBe(old);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ msg: "rec", n: 0 });
  });

  test("close() flushes: everything is on disk when it resolves; later records are ignored", async () => {
    const path = freshPath();
    const log = createLogger({ level: "info", stderr: "off", file: path });
    for (let n = 0; n < 5000; n++) log.info("rec", { n });
    await log.close();
    expect(numbers(path)).toHaveLength(5000);
    expect(() => log.info("late", { n: -1 })).not.toThrow();
    await log.flush();
    expect(numbers(path)).toHaveLength(5000);
  });

  test("a record larger than the cap becomes a notice that fits", async () => {
    const path = freshPath();
    const log = createLogger({ level: "info", stderr: "off", file: path, maxFileBytes: 4096 });
    log.info("huge", { body: "é".repeat(10_000) });
    await log.close();
    expect(statSync(path).size).toBeLessThanOrEqual(4096);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({
      msg: "log record too large for the log file; truncated",
    });
  });

  test("a path that cannot be opened fails at creation, not on the first request", () => {
    expect(() =>
      createLogger({
        level: "info",
        stderr: "off",
        file: join(dir, "missing-dir", "x", "router.log"),
      }),
    ).toThrow();
  });

  test("a writer left behind drops the oldest records, keeps memory and the cap bounded", async () => {
    const path = freshPath();
    const sink = new FileSink(path, 512 * 1024);
    let maxPending = 0;
    for (let n = 0; n < 40_000; n++) {
      sink.write(JSON.stringify({ n, pad: "q".repeat(60) }));
      maxPending = Math.max(maxPending, sink.stats().pendingBytes);
    }
    expect(sink.stats().dropped).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(1024 * 1024);
    await sink.close();
    const got = numbers(path);
    expect(got.at(-1)).toBe(39_999);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
  });

  test("a log file deleted under the router: reported (redacted, on stderr) at the next rotation, a new one started", async () => {
    const path = freshPath();
    const stderr: string[] = [];
    const log = createLogger({
      level: "info",
      stderr: "json",
      write: (l) => stderr.push(l),
      file: path,
      maxFileBytes: 4096,
    });
    log.info("first", { n: -1 });
    await log.flush();
    rmSync(path);
    for (let n = 0; n < 100; n++) log.info("rec", { n, pad: "p".repeat(80) });
    await log.close();
    expect(stderr.map((l) => JSON.parse(l)).find((r) => r.level === "error")?.msg).toContain(
      "cannot rotate log file",
    );
    expect(statSync(path).size).toBeLessThanOrEqual(4096);
    expect(numbers(path).at(-1)).toBe(99);
  });

  test("flood: 100,000 debug records at the real 10 MB cap, event loop responsive, cap held throughout", async () => {
    const path = freshPath();
    const log = createLogger({ level: "debug", stderr: "off", file: path });
    const N = 100_000;
    const watch = watchFiles(path, DEFAULT_MAX_FILE_BYTES);
    const t0 = performance.now();
    let inCalls = 0;
    // In bursts of 200, as requests would log between other work; the loop yields after each.
    for (let n = 0; n < N; n += 200) {
      const c0 = performance.now();
      for (let i = n; i < n + 200; i++)
        log.debug("upstream chunk", {
          n: i,
          id: "k3j4h5g6f7d8",
          group: "gpt",
          model: "gpt-4o-mini",
          pad: "w".repeat(160),
        });
      inCalls += performance.now() - c0;
      watch.check();
      await tick();
    }
    const queued = performance.now() - t0;
    await log.flush();
    const total = performance.now() - t0;
    watch.check();
    const seen = watch.stop();
    await log.close();
    const got = numbers(path);
    const drops = lines(path).filter((l) => l.includes("fell behind")).length;
    console.log(
      `flood: ${N} records, ${Math.round(total)} ms to disk (${Math.round(queued)} ms producing, ${Math.round(inCalls)} ms inside log calls = ${((inCalls / N) * 1000).toFixed(1)} µs/record); ` +
        `timer max lag ${seen.maxLag.toFixed(1)} ms; ${seen.checks} size checks, max size seen ${seen.maxSize} of ${DEFAULT_MAX_FILE_BYTES}; ${seen.rotations} rotations seen; drop notices ${drops}`,
    );
    expect(seen.problems).toEqual([]);
    expect(seen.maxSize).toBeLessThanOrEqual(DEFAULT_MAX_FILE_BYTES);
    expect(seen.checks).toBeGreaterThan(500);
    expect(seen.rotations).toBeGreaterThanOrEqual(2);
    // Responsive, not idle: a loaded 2-core machine delays timers by tens of ms on its own.
    expect(seen.maxLag).toBeLessThan(250);
    expect(total).toBeLessThan(10_000);
    expect(drops).toBe(0);
    expect(got.at(-1)).toBe(N - 1);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
  });

  test("a symbolic link at the path is refused at creation, with a clear reason; its target is untouched", () => {
    const path = freshPath();
    const target = join(dir, `target-${seq++}`);
    writeFileSync(target, "precious\n");
    symlinkSync(target, path);
    expect(() => createLogger({ level: "info", stderr: "off", file: path })).toThrow(
      /symbolic link, which is refused/,
    );
    expect(readFileSync(target, "utf8")).toBe("precious\n");
  });

  test("a new log file, and each one started by a rotation, is readable by its owner alone (0600)", async () => {
    const path = freshPath();
    const log = createLogger({ level: "info", stderr: "off", file: path, maxFileBytes: 4096 });
    log.info("first", { n: 0 });
    await log.flush();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (let n = 1; n < 100; n++) log.info("rec", { n, pad: "p".repeat(80) });
    await log.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path + ".1").mode & 0o777).toBe(0o600);
  });

  test("a rotation that cannot rename truncates the open file itself: same file, cap held, records go on", async () => {
    const path = freshPath();
    // A directory that is not empty cannot be replaced by a rename.
    mkdirSync(path + ".1");
    writeFileSync(join(path + ".1", "keep"), "x");
    const stderr: string[] = [];
    const log = createLogger({
      level: "info",
      stderr: "json",
      write: (l) => stderr.push(l),
      file: path,
      maxFileBytes: 4096,
    });
    log.info("first", { n: 0 });
    await log.flush();
    const inode = statSync(path).ino;
    for (let n = 1; n < 100; n++) log.info("rec", { n, pad: "p".repeat(80) });
    await log.close();
    expect(stderr.map((l) => JSON.parse(l)).find((r) => r.level === "error")?.msg).toContain(
      "truncating it",
    );
    expect(statSync(path).ino).toBe(inode);
    expect(statSync(path).size).toBeLessThanOrEqual(4096);
    const got = readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).n as number);
    expect(got.at(-1)).toBe(99);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
  });

  test("a link planted at the path while rotation cannot rename is neither followed nor truncated", async () => {
    const path = freshPath();
    mkdirSync(path + ".1");
    writeFileSync(join(path + ".1", "keep"), "x");
    const target = join(dir, `target-${seq++}`);
    writeFileSync(target, "precious\n");
    const stderr: string[] = [];
    const log = createLogger({
      level: "info",
      stderr: "json",
      write: (l) => stderr.push(l),
      file: path,
      maxFileBytes: 4096,
    });
    log.info("first", { n: 0 });
    await log.flush();
    rmSync(path);
    symlinkSync(target, path);
    for (let n = 1; n < 100; n++) log.info("rec", { n, pad: "p".repeat(80) });
    await log.close();
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(stderr.join("\n")).toContain("symbolic link, which is refused");
  });
});
