import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashKey, rendezvousOrder } from "../../src/balance/rendezvous";
import { parseExplainArgs, runExplain } from "../../src/cli/explain";

/** `explain` shows the session key a request carries and the members in that key's order. */

let dir: string;
const MEMBERS = ["a", "b", "c", "d"];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "explain-affinity-"));
  // Model a has a small context window: the long body below does not fit it.
  const models = MEMBERS.map(
    (m) =>
      `  - model_name: ${m}\n    llm_params: {api_type: anthropic, model: ${m}-upstream${m === "a" ? ", context_window: 50" : ""}}`,
  ).join("\n");
  await writeFile(
    join(dir, "config.yaml"),
    `model_list:\n${models}\nrouter_settings:\n  affinity_keys: [x-team-session]\n  model_groups:\n    - name: g\n      fallbacks: [h]\n      models: [${MEMBERS.map((m) => `{name: ${m}}`).join(", ")}]\n    - name: h\n      affinity: none\n      models: [{name: a}]\n    - name: w\n      affinity: none\n      models: [{name: a}, {name: b}]\n`,
  );
  await writeFile(
    join(dir, "body.json"),
    JSON.stringify({
      model: "g",
      max_tokens: 10,
      metadata: { user_id: JSON.stringify({ device_id: "d", session_id: "sess-42" }) },
      messages: [{ role: "user", content: "hi" }],
    }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function writeLongBody(): Promise<string> {
  const file = join(dir, "long.json");
  const content = "word ".repeat(300);
  await writeFile(
    file,
    JSON.stringify({ model: "w", max_tokens: 10, messages: [{ role: "user", content }] }),
  );
  return file;
}

async function explain(args: string[]): Promise<{ code: number; text: string }> {
  let text = "";
  const code = await runExplain(
    parseExplainArgs([...args, "-c", join(dir, "config.yaml"), "--format", "anthropic"]),
    (s) => void (text += s),
  );
  return { code, text };
}

const expectedOrder = (key: string) =>
  rendezvousOrder(
    hashKey(key),
    MEMBERS.map((model) => ({ model })),
    () => 100,
  )
    .slice(0, 3)
    .map((m) => m.model);

describe("explain and session affinity", () => {
  test("the body's session key, and the plan in its rendezvous order", async () => {
    const { code, text } = await explain(["g", join(dir, "body.json"), "--json"]);
    expect(code).toBe(0);
    const out = JSON.parse(text);
    expect(out.session).toEqual({ key: "sess-42", source: "body:metadata.user_id" });
    expect(out.fallbacks).toEqual(["h"]);
    const ranked = out.members
      .filter((m: { rank: number | null }) => m.rank !== null)
      .sort((x: { rank: number }, y: { rank: number }) => x.rank - y.rank)
      .map((m: { model: string }) => m.model);
    expect(ranked).toEqual(expectedOrder("sess-42"));
    expect(out.members.find((m: { rank: number }) => m.rank === 1).reason).toBe("affinity");
  });

  test("--header brings a session header, which wins over the body", async () => {
    const { text } = await explain([
      "g",
      join(dir, "body.json"),
      "--header",
      "X-Team-Session: team-7",
    ]);
    expect(text).toContain('session key "team-7" from header:x-team-session');
    expect(text).toContain(`would try: ${expectedOrder("team-7").join(" → ")}`);
    expect(text).toContain("then the fallback groups: h");
  });

  test("a group without affinity says so", async () => {
    const { text } = await explain(["h", join(dir, "body.json")]);
    expect(text).toContain("affinity none");
    expect(text).not.toContain("session key");
  });

  test("a malformed --header is a usage error", async () => {
    await expect(explain(["g", join(dir, "body.json"), "--header", "no colon"])).rejects.toThrow(
      /--header must be "name: value"/,
    );
  });

  test("context windows: a member the request does not fit is shown as such and left out", async () => {
    const long = await writeLongBody();
    const { code, text } = await explain(["w", long]);
    expect(code).toBe(0);
    expect(text).toMatch(/^-\s+a\s+anthropic\s+none\s+50 too small/m);
    expect(text).toContain("would try: b");
    const json = JSON.parse((await explain(["w", long, "--json"])).text);
    expect(json.estimated_tokens.input).toBeGreaterThan(50);
    expect(json.estimated_tokens.output).toBe(10);
  });
});
