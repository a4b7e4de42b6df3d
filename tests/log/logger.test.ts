import { describe, expect, test } from "bun:test";
import {
  captureLogs,
  createLogger,
  LOG_LEVELS,
  newRequestId,
  requestLog,
  requestTimer,
  silentLogger,
  type LoggerOptions,
  type LogLevel,
} from "../../src/log";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function collect(level: LogLevel, extra: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({ level, stderr: "json", write: (l) => lines.push(l), ...extra });
  return { log, lines };
}

describe("levels", () => {
  test("each level lets through itself and above, nothing below", () => {
    for (const [i, level] of LOG_LEVELS.entries()) {
      const { log, lines } = collect(level);
      for (const l of LOG_LEVELS) log[l](`m-${l}`);
      expect(lines.map((x) => JSON.parse(x).level)).toEqual(LOG_LEVELS.slice(i));
    }
  });

  test("setLevel applies to the next record and to children", () => {
    const { log, lines } = collect("warn");
    const child = log.child({ id: "r1" });
    child.info("before");
    log.setLevel("debug");
    child.debug("after");
    expect(log.level).toBe("debug");
    expect(child.level).toBe("debug");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["after"]);
  });
});

describe("JSON lines", () => {
  test("time, level and msg first, fields flattened beside them", () => {
    const { log, lines } = collect("info");
    log.info("request", { group: "gpt", status: 200, usage: { input: 3 }, gone: undefined });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(Object.keys(rec)).toEqual(["time", "level", "msg", "group", "status", "usage"]);
    expect(rec.time).toMatch(ISO);
    expect(rec).toMatchObject({
      level: "info",
      msg: "request",
      group: "gpt",
      status: 200,
      usage: { input: 3 },
    });
  });

  test("a field cannot overwrite time, level or msg", () => {
    const { log, lines } = collect("info");
    log.info("real", { msg: "fake", level: "error", time: 1 });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: "real",
      level: "info",
      _msg: "fake",
      _level: "error",
      _time: 1,
    });
  });

  test("errors, maps, cycles, bytes and bigints become plain JSON", () => {
    const { log, lines } = collect("info");
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    const err = Object.assign(new Error("boom"), { status: 502 });
    log.info("x", { err, map: new Map([["k", 1]]), loop, bytes: new Uint8Array(5), big: 10n });
    const rec = JSON.parse(lines[0]!);
    expect(rec.err).toMatchObject({ name: "Error", message: "boom", status: 502 });
    expect(rec.err.stack).toContain("boom");
    expect(rec).toMatchObject({
      map: { k: 1 },
      loop: { a: 1, self: "[Circular]" },
      bytes: "[5 bytes]",
      big: "10",
    });
  });

  test("a field that throws while read costs the record's fields, not the caller", () => {
    const { log, lines } = collect("info");
    const hostile = {
      get bad() {
        throw new Error("no");
      },
    };
    expect(() => log.info("m", { hostile })).not.toThrow();
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: "log record could not be built",
      original: "m",
      error: "Error: no",
    });
  });
});

describe("stderr format", () => {
  const strip = (s: string) => s.replace(/\x1b\[\d+m/g, "");

  test("human-readable on a terminal: time LEVEL msg k=v, quoting only ambiguous values", () => {
    const { log, lines } = collect("info", { stderr: "auto", tty: true });
    log.warn("upstream\nfailed", { group: "gpt", error: "two words", n: 3, obj: { a: 1 } });
    const line = strip(lines[0]!);
    expect(line).toMatch(
      /^\S+Z WARN  upstream\\nfailed group=gpt error="two words" n=3 obj=\{"a":1\}$/,
    );
    expect(line.split(" ")[0]).toMatch(ISO);
  });

  test("JSON lines when stderr is not a terminal", () => {
    const { log, lines } = collect("info", { stderr: "auto", tty: false });
    log.info("hello", { a: 1 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "hello", a: 1 });
  });

  test("off writes nothing", () => {
    const { log, lines } = collect("trace", { stderr: "off" });
    log.error("x");
    expect(lines).toEqual([]);
  });

  test("the original createLogger(level, write) form still works", () => {
    const lines: string[] = [];
    const log = createLogger("warn", (l) => lines.push(l));
    log.info("no");
    log.warn("yes");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("yes");
  });
});

describe("captures", () => {
  test("see every logger down to their own level, silentLogger included, and stop when stopped", () => {
    const { log, lines } = collect("error");
    const cap = captureLogs({ level: "debug" });
    log.debug("quiet one");
    log.trace("below the capture");
    silentLogger.info("from silent");
    cap.stop();
    log.debug("after stop");
    expect(cap.records().map((r) => r.msg)).toEqual(["quiet one", "from silent"]);
    expect(lines).toEqual([]);
  });

  test("onLine receives lines instead of storing them", () => {
    const seen: string[] = [];
    const cap = captureLogs({ onLine: (l) => seen.push(l) });
    silentLogger.trace("t");
    cap.stop();
    expect(cap.lines).toEqual([]);
    expect(JSON.parse(seen[0]!)).toMatchObject({ level: "trace", msg: "t" });
  });
});

describe("request log", () => {
  test("newRequestId: 12 base32 characters, no repeats in 10,000", () => {
    const ids = Array.from({ length: 10_000 }, newRequestId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("one info line with the fields in a fixed order, unknowns left out", () => {
    const { log, lines } = collect("info");
    requestLog(log, {
      id: "abc",
      format: "openai",
      group: "gpt",
      model: "gpt-4o",
      attempts: 2,
      status: 200,
      firstByteMs: 12.345,
      totalMs: 99.99,
      usage: { input: 10, output: 5, cacheRead: 0 },
    });
    requestLog(log, { id: "def", format: "gemini", status: 404, totalMs: 1 });
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(Object.keys(a)).toEqual([
      "time",
      "level",
      "msg",
      "id",
      "format",
      "group",
      "model",
      "attempts",
      "status",
      "ttfb_ms",
      "total_ms",
      "input_tokens",
      "output_tokens",
    ]);
    expect(a).toMatchObject({
      level: "info",
      msg: "request",
      ttfb_ms: 12.3,
      total_ms: 100,
      input_tokens: 10,
      output_tokens: 5,
    });
    expect(Object.keys(b)).toEqual(["time", "level", "msg", "id", "format", "status", "total_ms"]);
  });

  test("requestTimer measures first byte once and total at finish", () => {
    let t = 100;
    const timer = requestTimer("id1", () => t);
    t = 130;
    timer.firstByte();
    t = 170;
    timer.firstByte();
    t = 400;
    const { log, lines } = collect("info");
    timer.finish(log, { format: "anthropic", group: "claude", status: 200 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: "id1", ttfb_ms: 30, total_ms: 300 });
  });
});
