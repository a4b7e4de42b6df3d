/**
 * No secret in any log of the binary: at -l trace, with a router token and upstream keys, a
 * representative mix of traffic (passthrough, conversion, streams, wrong tokens in every style,
 * upstream failures, upstreams quoting keys in their errors, unknown groups, a reload) must leave
 * every configured secret, and every wrong token a client presented, out of stderr, stdout and
 * the log file — raw, JSON-escaped and percent-encoded, whole or in recognisable pieces.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findSecrets } from "../../src/log";
import { closedPort } from "../helpers";
import { startMock, type MockUpstream } from "../mocks";
import {
  chat,
  configYaml,
  createLab,
  mockModel,
  modelYaml,
  ON_LINUX_X64,
  waitFor,
  type Lab,
  type Running,
} from "./binary";

setDefaultTimeout(60_000);

// Characters that JSON escaping and percent-encoding both change, so all three forms differ;
// and characters that end the redactor's header and Bearer patterns early (", :, !, #).
const TOKEN = 'rt/proc+Secret="tok"&x=1';
const KEYS = {
  openai: "proc:openai!key#9f8e7d6c5b4a3210",
  anthropic: 'sk-ant-proc"quoted"/key=0123456789',
  gemini: "AIzaProcGemini+Key/5b7c9d1e3f=abcdef",
  // Configured for a model whose upstream does not accept it.
  rejected: "sk-proc-rejected-key-a1b2c3d4e5f6g7h8",
  dead: "sk-proc-dead-upstream-key/+=",
  rotated: "sk-proc-rotated+key/after=reload",
};
const WRONG = {
  bearer: 'wrong-bearer-Tok+/="9f8e',
  xApiKey: "wrong-xapi-Q7+/=0a1b",
  googKey: "wrong-goog-W3+/=2c3d",
  query: "wrong-query-Z5+/=&4e5f",
};
const SECRETS = [TOKEN, ...Object.values(KEYS), ...Object.values(WRONG)];
/** Long enough that a match means a piece of the secret, short enough to catch a leaked tail. */
const FRAGMENT = 10;

let lab: Lab;
let mocks: Record<"openai" | "anthropic" | "gemini", MockUpstream>;
let r: Running;
const statuses: Record<string, number> = {};
let stderr: string[] = [];
let everything: string[] = [];

/** Every FRAGMENT-long piece of every secret. */
const fragments = (secrets: string[]) => [
  ...new Set(
    secrets.flatMap((s) =>
      Array.from({ length: Math.max(1, s.length - FRAGMENT + 1) }, (_, i) =>
        s.slice(i, i + FRAGMENT),
      ),
    ),
  ),
];

function excerpt(line: string, piece: string): string {
  const at = Math.max(
    line.indexOf(piece),
    line.indexOf(JSON.stringify(piece).slice(1, -1)),
    line.indexOf(encodeURIComponent(piece)),
  );
  return line.slice(Math.max(0, at - 60), at + 60);
}

async function drive(): Promise<void> {
  const dead = `http://127.0.0.1:${await closedPort()}/v1`;
  const models = [
    mockModel("oa", mocks.openai),
    mockModel("an", mocks.anthropic),
    mockModel("ge", mocks.gemini),
    mockModel("oa-rejected", mocks.openai, KEYS.rejected),
    modelYaml("dead", "openai", dead, KEYS.dead),
  ];
  const groups = {
    gpt: ["oa"],
    claude: ["an"],
    gem: ["ge"],
    rejected: ["oa-rejected"],
    failover: ["dead*100", "oa*1"],
  };
  const file = join(lab.dir, "config.yaml");
  await writeFile(file, configYaml(models, groups));
  const logFile = join(lab.dir, "router.log");
  // The token comes from the environment, as the systemd unit supplies it.
  r = await lab.start(["-l", "trace", "--log-file", logFile, "-c", file], {
    env: lab.env({ LLM_ROUTER_TOKEN: TOKEN }),
  });
  const o = r.origin;
  const hit = async (name: string, res: Promise<Response>) => {
    const done = await res;
    await done.text();
    statuses[name] = done.status;
  };
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const anthHeaders = { "x-api-key": TOKEN, "anthropic-version": "2023-06-01" };
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${o}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const anthBody = (group: string, stream = false) => ({
    model: group,
    max_tokens: 64,
    stream,
    messages: [{ role: "user", content: "hi from claude code" }],
  });
  const gemBody = { contents: [{ role: "user", parts: [{ text: "hi from gemini cli" }] }] };

  // Passthrough, each API with its own way of presenting the token.
  await hit("openai passthrough", chat(o, "gpt", { token: TOKEN }));
  await hit("openai passthrough stream", chat(o, "gpt", { token: TOKEN, stream: true }));
  await hit(
    "anthropic passthrough x-api-key",
    post("/v1/messages", anthBody("claude"), anthHeaders),
  );
  await hit(
    "anthropic passthrough stream",
    post("/v1/messages", anthBody("claude", true), anthHeaders),
  );
  await hit(
    "gemini passthrough x-goog-api-key",
    post("/v1beta/models/gem:generateContent", gemBody, { "x-goog-api-key": TOKEN }),
  );
  await hit(
    "gemini passthrough ?key= stream",
    post(
      `/v1beta/models/gem:streamGenerateContent?alt=sse&key=${encodeURIComponent(TOKEN)}`,
      gemBody,
      {},
    ),
  );
  // Conversion in several directions, streamed and not.
  await hit("openai to anthropic", chat(o, "claude", { token: TOKEN }));
  await hit("openai to gemini stream", chat(o, "gem", { token: TOKEN, stream: true }));
  await hit("anthropic to gemini", post("/v1/messages", anthBody("gem"), anthHeaders));
  await hit(
    "gemini to openai stream",
    post("/v1beta/models/gpt:streamGenerateContent?alt=sse", gemBody, { "x-goog-api-key": TOKEN }),
  );
  await hit(
    "count tokens estimated",
    post(
      "/v1/messages/count_tokens",
      { model: "gpt", messages: [{ role: "user", content: "count me" }] },
      { "x-api-key": TOKEN },
    ),
  );
  // A wrong token in every style the router accepts.
  await hit("401 bearer", chat(o, "gpt", { headers: { authorization: `Bearer ${WRONG.bearer}` } }));
  await hit(
    "401 x-api-key",
    post("/v1/messages", anthBody("claude"), {
      "x-api-key": WRONG.xApiKey,
      "anthropic-version": "2023-06-01",
    }),
  );
  await hit(
    "401 x-goog-api-key",
    post("/v1beta/models/gem:generateContent", gemBody, { "x-goog-api-key": WRONG.googKey }),
  );
  await hit(
    "401 ?key=",
    post(`/v1beta/models/gem:generateContent?key=${encodeURIComponent(WRONG.query)}`, gemBody, {}),
  );
  await hit(
    "401 /metrics",
    fetch(`${o}/metrics`, { headers: { authorization: `Bearer ${WRONG.bearer}` } }),
  );
  // Upstream failures and refusals.
  mocks.openai.fault({ kind: "status", status: 500 });
  await hit("upstream 500", chat(o, "gpt", { token: TOKEN }));
  mocks.anthropic.fault({ kind: "status", status: 529 });
  await hit("upstream 529 converted", chat(o, "claude", { token: TOKEN }));
  await hit("upstream rejects key", chat(o, "rejected", { token: TOKEN }));
  await hit("failover from a dead upstream", chat(o, "failover", { token: TOKEN }));
  mocks.openai.fault({ kind: "midstream-error", afterChunks: 2 });
  await hit("error mid-stream", chat(o, "gpt", { token: TOKEN, stream: true }));
  await hit("unknown group", chat(o, "no-such-group", { token: TOKEN }));
  await hit("malformed JSON", post("/v1/chat/completions", "{not json", bearer));
  await hit("metrics", fetch(`${o}/metrics`, { headers: bearer }));
  await hit("models ?key=", fetch(`${o}/v1beta/models?key=${encodeURIComponent(TOKEN)}`));
  // Upstreams that quote the request in an error; a converted call logs the upstream's message.
  mocks.anthropic.fault({
    kind: "status",
    status: 500,
    body: {
      type: "error",
      error: {
        type: "api_error",
        message: `key ${KEYS.anthropic} was used; x-api-key: ${KEYS.anthropic}`,
      },
    },
  });
  await hit("anthropic error quoting x-api-key", chat(o, "claude", { token: TOKEN }));
  mocks.openai.fault({
    kind: "status",
    status: 500,
    body: {
      error: {
        message: `token Bearer ${KEYS.openai} is not valid (key ${KEYS.openai})`,
        type: "server_error",
        param: null,
        code: null,
      },
    },
  });
  await hit("openai error quoting Bearer", post("/v1/messages", anthBody("gpt"), anthHeaders));
  const quotedUrl = `${mocks.gemini.apiBase}/models/gemini-upstream:generateContent?key=${encodeURIComponent(KEYS.gemini)}`;
  mocks.gemini.fault({
    kind: "status",
    status: 503,
    body: {
      error: {
        code: 503,
        status: "UNAVAILABLE",
        message: `backend ${quotedUrl} unavailable (key ${KEYS.gemini}, router token ${TOKEN})`,
      },
    },
  });
  await hit("gemini error quoting ?key=", post("/v1/messages", anthBody("gem"), anthHeaders));

  // A reload that adds a key: it must be redacted from then on too.
  await writeFile(
    file,
    configYaml([...models, mockModel("oa-rotated", mocks.openai, KEYS.rotated)], {
      ...groups,
      rotated: ["oa-rotated"],
    }),
  );
  await waitFor("the reload", () => r.stderrRecords().some((x) => x.msg === "reload"), 20_000);
  await hit("rejected after reload", chat(o, "rotated", { token: TOKEN }));

  r.signal("SIGTERM");
  const code = await r.exitWithin(10_000);
  if (code !== 0) throw new Error(`router exited with ${code}\n${r.stderr.text}`);
  stderr = r.stderr.lines();
  everything = [...r.stdout.lines(), ...stderr, ...(await readFile(logFile, "utf8")).split("\n")];
}

beforeAll(async () => {
  lab = await createLab("secrets");
  const [openai, anthropic, gemini] = await Promise.all([
    startMock("openai", { apiKey: KEYS.openai }),
    startMock("anthropic", { apiKey: KEYS.anthropic }),
    startMock("gemini", { apiKey: KEYS.gemini }),
  ]);
  mocks = { openai, anthropic, gemini };
  if (ON_LINUX_X64) await drive();
}, 60_000);

afterAll(async () => {
  await lab?.cleanup();
  await Promise.all(Object.values(mocks ?? {}).map((m) => m.stop()));
});

describe.skipIf(!ON_LINUX_X64)("secrets in the binary's logs at -l trace", () => {
  test("the traffic mix got the answers it should, and was logged", () => {
    expect(statuses).toEqual({
      "openai passthrough": 200,
      "openai passthrough stream": 200,
      "anthropic passthrough x-api-key": 200,
      "anthropic passthrough stream": 200,
      "gemini passthrough x-goog-api-key": 200,
      "gemini passthrough ?key= stream": 200,
      "openai to anthropic": 200,
      "openai to gemini stream": 200,
      "anthropic to gemini": 200,
      "gemini to openai stream": 200,
      "count tokens estimated": 200,
      "401 bearer": 401,
      "401 x-api-key": 401,
      "401 x-goog-api-key": 401,
      "401 ?key=": 401,
      "401 /metrics": 401,
      "upstream 500": 500,
      // Anthropic's overloaded is 503 for an OpenAI client, and Gemini's UNAVAILABLE 529 for an Anthropic one.
      "upstream 529 converted": 503,
      "upstream rejects key": 502,
      "failover from a dead upstream": 200,
      "error mid-stream": 200,
      "unknown group": 404,
      "malformed JSON": 400,
      metrics: 200,
      "models ?key=": 200,
      "anthropic error quoting x-api-key": 500,
      "openai error quoting Bearer": 500,
      "gemini error quoting ?key=": 529,
      // The upstream refuses the rotated key: the router's 502 naming the model, not the upstream's 401.
      "rejected after reload": 502,
    });
    // So that "no secret found" is not the silence of an empty log.
    expect(stderr.length).toBeGreaterThan(25);
    expect(everything.length).toBeGreaterThan(stderr.length * 2);
    for (const msg of ["attempt failed", "unauthorized request", "request refused", "reload"]) {
      expect(
        stderr.some((l) => l.includes(`"msg":"${msg}"`)),
        msg,
      ).toBe(true);
    }
    // The upstream errors that quoted keys did reach the log, redacted.
    for (const quoted of [
      "was used; x-api-key: [REDACTED]",
      "token Bearer [REDACTED]",
      "generateContent?key=[REDACTED] unavailable (key [REDACTED], router token [REDACTED])",
    ]) {
      expect(
        stderr.some((l) => l.includes(quoted)),
        quoted,
      ).toBe(true);
    }
  });

  test("no whole secret, raw, JSON-escaped or percent-encoded, in stdout, stderr or the log file", () => {
    expect(findSecrets(everything, SECRETS)).toEqual([]);
  });

  test(`no piece of a secret (${FRAGMENT} characters or more) either`, () => {
    // Otherwise a leak of one secret would be reported as a leak of another.
    for (const a of SECRETS)
      for (const b of SECRETS)
        if (a !== b) expect(findSecrets([b], fragments([a])), `${a} / ${b}`).toEqual([]);
    // A redaction that cuts a key short leaves its tail behind; the whole key no longer matches.
    const leaks = new Map<string, string>();
    for (const secret of SECRETS) {
      const hit = findSecrets(everything, fragments([secret]))[0];
      // One line per leaked secret, cut around the piece, keeps a failure readable.
      if (hit) leaks.set(secret, excerpt(hit.line, hit.secret));
    }
    expect(Object.fromEntries(leaks)).toEqual({});
  });
});
