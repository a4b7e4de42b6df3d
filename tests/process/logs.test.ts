/**
 * The binary's logs as an operator reads them: one JSON line per request on a non-terminal
 * stderr, the same records in --log-file, and a log file that never passes 10,000,000 bytes.
 *
 * Reaching the cap with ordinary requests is too slow for this suite: at -l trace a successful
 * request logs one ~185-byte line, so 10 MB is ~54,000 requests (~14 s at the ~3,800 req/s this
 * binary does on a 2-CPU machine). The rotation test instead sends requests naming a 500 KB
 * unknown group, which the router logs twice per request (the debug refusal and the request
 * line), so about a dozen requests cross the cap. The per-request size is measured and printed.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startMock, type MockUpstream } from "../mocks";
import { chat, configYaml, createLab, mockModel, ON_LINUX_X64, waitFor, type Lab } from "./binary";

setDefaultTimeout(60_000);

const CAP = 10_000_000;
let lab: Lab;
let oa: MockUpstream;
let an: MockUpstream;
let config = "";

beforeAll(async () => {
  lab = await createLab("logs");
  [oa, an] = await Promise.all([
    startMock("openai", { apiKey: "sk-logs-openai-0123456789" }),
    startMock("anthropic", { apiKey: "sk-ant-logs-0123456789" }),
  ]);
  config = join(lab.dir, "config.yaml");
  await writeFile(
    config,
    configYaml([mockModel("oa", oa), mockModel("an", an)], { gpt: ["oa"], claude: ["an"] }),
  );
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await oa?.stop();
  await an?.stop();
});

const jsonLines = (text: string) => text.split("\n").filter((l) => l !== "");

describe.skipIf(!ON_LINUX_X64)("logs of the binary", () => {
  test("-l info: one JSON line per request on stderr, and the same records in --log-file", async () => {
    const file = join(lab.dir, "info.log");
    const r = await lab.start(["-l", "info", "--log-file", file, "-c", config]);

    const ids: Record<string, string> = {};
    const send = async (name: string, res: Promise<Response>) => {
      const done = await res;
      await done.text();
      ids[name] = done.headers.get("x-llm-router-request-id")!;
      expect(ids[name], name).toMatch(/^[0-9a-z]{12}$/);
      return done.status;
    };
    expect(await send("passthrough", chat(r.origin, "gpt"))).toBe(200);
    expect(await send("stream", chat(r.origin, "gpt", { stream: true }))).toBe(200);
    expect(await send("converted", chat(r.origin, "claude"))).toBe(200);
    oa.fault({ kind: "status", status: 500 });
    expect(await send("upstream500", chat(r.origin, "gpt"))).toBe(500);
    expect(await send("unknown", chat(r.origin, "no-such-group"))).toBe(404);
    const anth = fetch(`${r.origin}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "claude",
        max_tokens: 50,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(await send("anthropic", anth)).toBe(200);
    // A model listing is not a model call and gets no request line.
    await (await fetch(`${r.origin}/v1/models`)).text();

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);

    // Not a terminal, so every stderr line is a JSON object.
    const stderr = jsonLines(r.stderr.text);
    const records = stderr.map((l) => JSON.parse(l));
    const requests = records.filter((x) => x.msg === "request");
    expect(requests).toHaveLength(Object.keys(ids).length);
    const byId = new Map(requests.map((x) => [x.id, x]));
    const want: Record<string, object> = {
      passthrough: { format: "openai", group: "gpt", model: "oa", attempts: 1, status: 200 },
      stream: { format: "openai", group: "gpt", model: "oa", attempts: 1, status: 200 },
      converted: { format: "openai", group: "claude", model: "an", attempts: 1, status: 200 },
      upstream500: { format: "openai", group: "gpt", model: "oa", attempts: 1, status: 500 },
      anthropic: { format: "anthropic", group: "claude", model: "an", attempts: 1, status: 200 },
    };
    for (const [name, fields] of Object.entries(want)) {
      const rec = byId.get(ids[name]);
      expect(rec, name).toMatchObject({ level: "info", msg: "request", id: ids[name], ...fields });
      expect(typeof rec.time, name).toBe("string");
      expect(rec.ttfb_ms, name).toBeGreaterThanOrEqual(0);
      expect(rec.total_ms, name).toBeGreaterThanOrEqual(rec.ttfb_ms);
    }
    expect(byId.get(ids.unknown)).toMatchObject({
      level: "info",
      msg: "request",
      format: "openai",
      status: 404,
      attempts: 0,
    });
    // A stream's line is written when the stream ends, after its first byte.
    expect(byId.get(ids.stream).total_ms).toBeGreaterThanOrEqual(byId.get(ids.stream).ttfb_ms);

    // The file gets exactly the records stderr got, byte for byte, in the same order.
    const inFile = jsonLines(await readFile(file, "utf8"));
    expect(inFile).toEqual(stderr);
  });

  test("at the default level, stderr says when a model fails (status, reason, request), goes down and recovers", async () => {
    const r = await lab.start(["-c", config]);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      oa.fault({
        kind: "status",
        status: 500,
        body: { error: { message: `upstream broke ${i}`, type: "server_error" } },
      });
      const res = await chat(r.origin, "gpt");
      expect(res.status).toBe(500);
      ids.push(res.headers.get("x-llm-router-request-id")!);
      await res.text();
    }
    const failing = JSON.parse(
      await r.waitStderr("model oa failing", (l) => l.includes('"model oa failing"'), 10_000),
    );
    expect(failing).toMatchObject({
      level: "warn",
      model: "oa",
      status: 500,
      error: expect.stringContaining("upstream broke 0"),
      id: ids[0],
    });
    const down = JSON.parse(
      await r.waitStderr("model oa down", (l) => l.includes('"model oa down'), 10_000),
    );
    expect(down).toMatchObject({
      level: "warn",
      model: "oa",
      status: 500,
      error: expect.stringContaining("upstream broke 6"),
      id: ids[6],
    });
    // A sole member at weight 0 still serves; seven successes undo the seven failures.
    for (let i = 0; i < 7; i++)
      expect((await chat(r.origin, "gpt").then(async (x) => (await x.text(), x))).status).toBe(200);
    await r.waitStderr("model oa recovered", (l) => l.includes('"model oa recovered"'), 10_000);
    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
    // One line per change, and nothing else at this level.
    expect(jsonLines(r.stderr.text).map((l) => JSON.parse(l).msg)).toEqual([
      "model oa failing",
      expect.stringMatching(/^model oa down/),
      "model oa recovered",
    ]);
  });

  test("--log-file never exceeds 10,000,000 bytes: it rotates to PATH.1", async () => {
    // A log left by an earlier run, just under the cap: the router appends to it, so a few hundred
    // ordinary requests must rotate it. (Client-chosen names are clipped in messages, so a test can
    // no longer fill 10 MB with a handful of huge requests — which is the point.)
    const file = join(lab.dir, "trace.log");
    const old =
      JSON.stringify({
        time: "2026-01-01T00:00:00.000Z",
        level: "info",
        msg: "earlier run",
        pad: "x".repeat(200),
      }) + "\n";
    const lines = Math.floor((CAP - 30_000) / old.length);
    await writeFile(file, old.repeat(lines));
    const r = await lab.start(["-l", "trace", "--log-file", file, "-c", config]);

    let sent = 0;
    const before = performance.now();
    // Bounded: at ~190 bytes a request, 30 KB take a few hundred requests; 3,000 allow for slack.
    for (; sent < 3_000 && !(await Bun.file(`${file}.1`).exists()); sent += 20) {
      await Promise.all(
        Array.from({ length: 20 }, () => chat(r.origin, "gpt").then((x) => x.text())),
      );
    }
    for (let i = 0; i < 5; i++) await (await chat(r.origin, "gpt")).text();
    console.info(
      `trace log rotated after ${sent} requests in ${(performance.now() - before).toFixed(0)} ms`,
    );
    expect(sent).toBeLessThan(3_000);

    r.signal("SIGTERM");
    expect(await r.exitWithin(10_000)).toBe(0);
    const [main, rotated] = await Promise.all([stat(file), stat(`${file}.1`)]);
    expect(main.size).toBeLessThanOrEqual(CAP);
    expect(rotated.size).toBeLessThanOrEqual(CAP);
    // It rotated because the next record would not fit, not long before: within a record of the cap.
    expect(rotated.size).toBeGreaterThan(CAP - 10_000);
    expect(main.size).toBeGreaterThan(0);

    // Whole records on both sides of the rotation, the older ones in PATH.1.
    const older = jsonLines(await readFile(`${file}.1`, "utf8")).map((l) => JSON.parse(l));
    const newer = jsonLines(await readFile(file, "utf8")).map((l) => JSON.parse(l));
    expect(older.filter((x) => x.msg === "earlier run")).toHaveLength(lines);
    expect(newer.length).toBeGreaterThan(0);
    expect(older.at(-1).time <= newer[0].time).toBe(true);
    expect(
      [...older, ...newer].filter((x) => x.msg === "request" && x.status === 200).length,
    ).toBeGreaterThanOrEqual(sent);
    // Nothing was dropped by a writer falling behind.
    expect([...older, ...newer].filter((x) => x.msg?.includes("dropped"))).toEqual([]);
  });
});
