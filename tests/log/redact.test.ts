import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  configSecrets,
  createLogger,
  findSecrets,
  proxyCredentials,
  REDACTED,
  SecretMask,
  type LogLevel,
} from "../../src/log";

const OPENAI = "sk-proj-abcdefghijklmnopqrstuvwx0123";
const GEMINI = "AIzaSyA-1234567890abcdefghijklmnopqrstu";
const ROUTER = "router-token-7f3a";

/** Both stderr formats plus the JSON lines a file gets, so every sink is checked. */
function sinks(secrets: Iterable<string>, level: LogLevel = "trace") {
  const json: string[] = [];
  const human: string[] = [];
  const a = createLogger({ level, secrets, stderr: "json", write: (l) => json.push(l) });
  const b = createLogger({ level, secrets, stderr: "human", write: (l) => human.push(l) });
  const both = (fn: (log: typeof a) => void) => (fn(a), fn(b));
  return {
    both,
    lines: () => [...json, ...human],
    json,
    setSecrets: (s: string[]) => (a.setSecrets(s), b.setSecrets(s)),
  };
}

describe("known secrets", () => {
  test("are replaced in the message, field values, keys, nested objects and arrays", () => {
    const s = sinks([OPENAI, ROUTER]);
    s.both((log) =>
      log.warn(`upstream said: invalid key ${OPENAI}.`, {
        detail: `token was ${ROUTER}`,
        nested: { list: [`x${OPENAI}y`, { [ROUTER]: 1 }] },
      }),
    );
    expect(findSecrets(s.lines(), [OPENAI, ROUTER])).toEqual([]);
    expect(JSON.parse(s.json[0]!)).toMatchObject({
      msg: `upstream said: invalid key ${REDACTED}.`,
      detail: `token was ${REDACTED}`,
      nested: { list: [`x${REDACTED}y`, { [REDACTED]: 1 }] },
    });
  });

  test("a secret that contains another is replaced whole", () => {
    const s = sinks(["abc", "abcdef"]);
    s.both((log) => log.info("k=abcdef;"));
    expect(JSON.parse(s.json[0]!).msg).toBe(`k=${REDACTED};`);
  });

  test("no secret is left even where a marker and its neighbour spell one", () => {
    const s = sinks(["aaaaaaaa", "]bbbbbbb"]);
    s.both((log) => log.info("aaaaaaaabbbbbbb"));
    expect(findSecrets(s.lines(), ["aaaaaaaa", "]bbbbbbb"])).toEqual([]);
  });

  test("percent-encoded forms are redacted too", () => {
    const secret = "p@ss/w rd+1";
    const s = sinks([secret]);
    s.both((log) => log.info("calling", { url: `https://h/x?q=${encodeURIComponent(secret)}` }));
    expect(findSecrets(s.lines(), [secret])).toEqual([]);
  });

  test("setSecrets (a reload) replaces the set: new keys redacted from the next record on", () => {
    const [before, after] = ["first-key-aaaa1111", "second-key-bbbb2222"];
    const s = sinks([before]);
    s.setSecrets([after]);
    s.both((log) => log.info(`now ${after}`, { v: after, old: before }));
    expect(findSecrets(s.lines(), [after])).toEqual([]);
    expect(findSecrets(s.lines(), [before])).toHaveLength(2);
  });
});

describe("by name and by shape, for keys nobody configured", () => {
  const UNKNOWN = "unconfigured-credential-42";

  test("the request line's own `key` is the key's name and stays; a nested `key` is masked", () => {
    const s = sinks([ROUTER]);
    s.both((log) =>
      log.info("request", { key: "team-a", query: { key: UNKNOWN }, nested: [{ key: UNKNOWN }] }),
    );
    s.both((log) => log.info("request", { key: ROUTER }));
    expect(findSecrets(s.lines(), [UNKNOWN, ROUTER])).toEqual([]);
    const rec = JSON.parse(s.json[0]!);
    expect(rec.key).toBe("team-a");
    expect(rec.query.key).toBe(REDACTED);
    // A configured secret is masked by value whatever field holds it.
    expect(JSON.parse(s.json[1]!).key).toBe(REDACTED);
  });

  test("credential-named fields are masked at any depth, usage counts are not", () => {
    const s = sinks([]);
    const headers = {
      Authorization: `Bearer ${UNKNOWN}`,
      "x-api-key": UNKNOWN,
      "X-Goog-Api-Key": UNKNOWN,
      accept: "json",
    };
    s.both((log) =>
      log.debug("call", {
        headers,
        cfg: { api_key: UNKNOWN, apiKey: UNKNOWN, token: UNKNOWN, router_token: UNKNOWN },
        h: new Headers(headers),
        input_tokens: 7,
        max_tokens: 9,
      }),
    );
    expect(findSecrets(s.lines(), [UNKNOWN])).toEqual([]);
    const rec = JSON.parse(s.json[0]!);
    expect(rec.headers).toEqual({
      Authorization: REDACTED,
      "x-api-key": REDACTED,
      "X-Goog-Api-Key": REDACTED,
      accept: "json",
    });
    expect(rec.h["x-goog-api-key"]).toBe(REDACTED);
    expect(rec).toMatchObject({ input_tokens: 7, max_tokens: 9 });
  });

  test("Gemini ?key= and &key=, Bearer and Basic, headers quoted in text, URL userinfo, provider key shapes", () => {
    const s = sinks([]);
    const texts = [
      `POST https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=${UNKNOWN}&alt=sse`,
      `GET /v1beta/models?alt=json&key=${UNKNOWN}`,
      `authorization: Bearer ${UNKNOWN}`,
      `sent {"x-api-key":"${UNKNOWN}"} upstream`,
      `x-goog-api-key=${UNKNOWN}`,
      `proxy socks5://user:${UNKNOWN}@proxy:1080`,
      `Authorization: Basic ${btoa("u:" + UNKNOWN)}`,
    ];
    s.both((log) =>
      texts.forEach((t) => log.info(t, { url: new URL(`https://x/y?key=${UNKNOWN}`) })),
    );
    expect(findSecrets(s.lines(), [UNKNOWN, btoa("u:" + UNKNOWN)])).toEqual([]);
    s.both((log) => log.info(`keys ${OPENAI} and ${GEMINI} and sk-ant-api03-${"x".repeat(30)}`));
    expect(findSecrets(s.lines(), [OPENAI, GEMINI, `sk-ant-api03-${"x".repeat(30)}`])).toEqual([]);
    // The surrounding text survives, so the records stay useful.
    expect(JSON.parse(s.json[0]!).msg).toBe(
      `POST https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=${REDACTED}&alt=sse`,
    );
  });

  test("prose that merely looks like a scheme keeps its words", () => {
    const s = sinks([]);
    s.both((log) => log.info("Basic support for tools; config key: model_list"));
    expect(JSON.parse(s.json[0]!).msg).toBe("Basic support for tools; config key: model_list");
  });
});

describe("property: random secrets in random text never reach a sink", () => {
  // Realistic key characters; framing characters (quotes, braces) are left out because JSON itself
  // could spell such a "secret" across two harmless values.
  const keyChar = fc.constantFrom(
    ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=".split(""),
  );
  const secret = fc
    .string({ unit: keyChar, minLength: 8, maxLength: 48 })
    .filter((s) => !REDACTED.includes(s));
  const token = fc.string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_".split("")),
    minLength: 12,
    maxLength: 40,
  });
  const text = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: "grapheme", maxLength: 30 }),
  );

  test("known secrets anywhere in message, fields, keys and nesting", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(secret, { minLength: 1, maxLength: 4 }),
        fc.array(text, { minLength: 6, maxLength: 6 }),
        fc.nat(),
        (secrets, t, pick) => {
          const s = sinks(secrets);
          const at = (i: number) => secrets[(pick + i) % secrets.length]!;
          s.both((log) =>
            log.debug(`${t[0]}${at(0)}${t[1]}${at(1)}`, {
              [`${t[2]}${at(2)}`]: `${t[3]}${at(3)}${t[4]}`,
              deep: { arr: [t[5] + at(1), { x: at(0) + at(0) }] },
              url: `https://h/p?x=${t[1]}${at(2)}`,
            }),
          );
          expect(findSecrets(s.lines(), secrets)).toEqual([]);
          expect(s.json[0]).toContain(REDACTED);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("unknown credentials behind Bearer, ?key=, and credential headers", () => {
    fc.assert(
      fc.property(token, text, text, (tok, pre, post) => {
        const s = sinks([]);
        s.both((log) =>
          log.info(`${pre} Authorization: Bearer ${tok} ${post}`, {
            url: `https://g/v1beta/models/m:generateContent?key=${tok}`,
            note: `${pre}?alt=sse&key=${tok}#${post}`,
            headers: { "x-goog-api-key": tok, "X-Api-Key": tok },
          }),
        );
        expect(findSecrets(s.lines(), [tok])).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("helpers", () => {
  test("findSecrets catches raw, JSON-escaped and percent-encoded occurrences", () => {
    const secret = 'a"b/c d';
    const lines = [
      "clean",
      `raw ${secret}`,
      JSON.stringify({ v: secret }),
      `u=${encodeURIComponent(secret)}`,
    ];
    expect(findSecrets(lines, [secret]).map((h) => h.line)).toEqual(lines.slice(1));
  });

  test("configSecrets collects every api_key, the token and extras, skipping blanks", () => {
    const models = new Map([
      ["a", { apiKey: OPENAI }],
      ["b", { apiKey: "" }],
      ["c", { apiKey: OPENAI }],
      ["d", { apiKey: GEMINI }],
    ]);
    expect(configSecrets({ models }, ROUTER, undefined).sort()).toEqual(
      [OPENAI, GEMINI, ROUTER].sort(),
    );
  });

  test("configSecrets also holds rewrite_header values (scheme word off), model and --proxy credentials; none shorter than 6", () => {
    const models = new Map([
      [
        "a",
        {
          apiKey: "tiny",
          rewriteHeader: {
            authorization: "Bearer custom-token-abcdef",
            "x-tiny": "no",
            "x-gone": null,
          },
        },
      ],
      ["b", { apiKey: "", proxy: "socks5://proxyuser:p%40ss-word-9@proxy.test:1080" }],
    ]);
    const got = configSecrets(
      { models },
      ROUTER,
      ...proxyCredentials("http://globaluser:global-pass-1@p.test:3128"),
    );
    expect(got.sort()).toEqual(
      [
        "custom-token-abcdef",
        "proxyuser",
        "p%40ss-word-9",
        "p@ss-word-9",
        ROUTER,
        "globaluser",
        "global-pass-1",
      ].sort(),
    );
    expect(configSecrets({ models }, ROUTER).map((s) => s.length)).toEqual(
      [...configSecrets({ models }, ROUTER).map((s) => s.length)].sort((x, y) => y - x),
    );
  });

  test("SecretMask: raw, JSON-escaped and percent-encoded forms; bytes untouched (same object) when clean", () => {
    const secret = 'k"ey/with space';
    const mask = new SecretMask([secret, "short"]);
    expect(
      mask.text(`a ${secret} b ${JSON.stringify(secret)} c ${encodeURIComponent(secret)} short`),
    ).toBe(`a ${REDACTED} b "${REDACTED}" c ${REDACTED} short`);
    const clean = new TextEncoder().encode('{"error":"nothing here"}');
    expect(mask.bytes(clean)).toBe(clean);
    const dirty = new TextEncoder().encode(JSON.stringify({ error: `bad key ${secret}` }));
    expect(new TextDecoder().decode(mask.bytes(dirty))).toBe(
      JSON.stringify({ error: `bad key ${REDACTED}` }),
    );
  });
});

describe("values are redacted, the router's wording is not", () => {
  const KEY = "sk-configured-key-0123456789";
  const yaml = (apiKeyLine: string) => `
model_list:
  - model_name: m
    ${apiKeyLine}
    llm_params: { api_type: openai, model: x, api_key: ${KEY} }
router_settings:
  model_groups:
    - name: g
      models: [{ name: m }]
`;

  test('a config warning keeps `api_key: unknown key "api_key" (ignored)` while a key in the same record is masked', async () => {
    const { loadConfigText } = await import("../../src/config");
    const config = loadConfigText(yaml("api_key: misplaced-value"), "c.yaml", {});
    const warning = `c.yaml: ${config.warnings[0]!.path}: ${config.warnings[0]!.message}`;
    expect(warning).toContain('api_key: unknown key "api_key" (ignored)');
    const s = sinks([KEY]);
    s.both((log) =>
      log.warn(`${warning} (key ${KEY})`, {
        detail: `x-api-key: "${KEY}"`,
        other: "api_key=unconfigured-secret-1",
      }),
    );
    const rec = JSON.parse(s.json[0]!);
    expect(rec.msg).toBe(`${warning} (key ${REDACTED})`);
    expect(rec.detail).toBe(`x-api-key: "${REDACTED}"`);
    expect(rec.other).toBe(`api_key=${REDACTED}`);
    expect(findSecrets(s.lines(), [KEY, "unconfigured-secret-1"])).toEqual([]);
  });

  test('a reload error keeps "environment variable … is not set" in its field while a key in the same record is masked', async () => {
    const { loadConfigText } = await import("../../src/config");
    let error = "";
    try {
      loadConfigText(
        yaml("").replace(`api_key: ${KEY}`, 'api_key: "${MISSING_KEY}"'),
        "c.yaml",
        {},
      );
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).toContain("api_key: environment variable MISSING_KEY is not set");
    const s = sinks([KEY]);
    s.both((log) =>
      log.error("reload failed; still serving the previous config", {
        error,
        previous_key: `authorization: Bearer ${KEY}`,
        leaked: `api_key: ${KEY}`,
      }),
    );
    const rec = JSON.parse(s.json[0]!);
    expect(rec.msg).toBe("reload failed; still serving the previous config");
    expect(rec.error).toBe(error);
    expect(rec.leaked).toBe(`api_key: ${REDACTED}`);
    expect(findSecrets(s.lines(), [KEY])).toEqual([]);
  });

  test("unquoted `name: value` with a credential-like value is still masked in values", () => {
    const s = sinks([]);
    s.both((log) =>
      log.info("m", {
        a: "api_key: abc123DEF456",
        b: "x-api-key: Zx9-unknown",
        c: "api_key: plainword",
      }),
    );
    expect(JSON.parse(s.json[0]!)).toMatchObject({
      a: `api_key: ${REDACTED}`,
      b: `x-api-key: ${REDACTED}`,
      c: "api_key: plainword",
    });
  });
});

describe("cost and size", () => {
  /** Inputs that made the old rules quadratic: a start at every `.`, `+` or `-` of a long run, each scanning to its end. */
  const adversarial = (n: number) => [
    "=" + "a.".repeat(n / 2),
    "@" + "a+".repeat(n / 2),
    "=" + "a-".repeat(n / 2),
    "sk-" + "-a".repeat(n / 2),
    "=" + "?a".repeat(n / 2),
  ];
  const best = (fn: () => void) => {
    let t = Infinity;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      fn();
      t = Math.min(t, performance.now() - s);
    }
    return t;
  };

  test("the shape rules are linear: 8x the input costs far less than 64x (1 MB inputs)", async () => {
    const { maskShapes } = await import("../../src/log");
    const N = 128 * 1024;
    for (const [i, small] of adversarial(N).entries()) {
      const big = adversarial(8 * N)[i]!;
      const tN = best(() => (maskShapes(small, "value"), maskShapes(small, "message")));
      const t8N = best(() => (maskShapes(big, "value"), maskShapes(big, "message")));
      // Linear: ~8x. Quadratic: ~64x, and seconds in absolute terms (the old userinfo rule took
      // about 0.7 s at 64 KB). The absolute bound is generous for a loaded machine.
      expect(t8N).toBeLessThan(Math.max(24 * tN, 50));
      expect(t8N).toBeLessThan(2000);
    }
  });

  test("a 1 MB logged string is clipped to 8 KB with a marker saying how much was cut, its secrets masked", () => {
    const s = sinks(["sk-configured-far-in-0123"]);
    const body = "=" + "a.".repeat(256 * 1024) + " sk-configured-far-in-0123";
    const t = performance.now();
    s.both((log) => log.info("body", { body, list: [body, body] }));
    expect(performance.now() - t).toBeLessThan(1000);
    const rec = JSON.parse(s.json[0]!);
    expect(rec.body.length).toBeLessThan(8300);
    expect(rec.body).toMatch(/… \[\d+ characters cut\]$/);
    const cut = Number(/\[(\d+) characters cut\]/.exec(rec.body)![1]);
    // Counted after masking: the secret near the end became the shorter marker.
    expect(rec.body.indexOf("…") + cut).toBe(
      body.length - "sk-configured-far-in-0123".length + REDACTED.length,
    );
    expect(findSecrets(s.lines(), ["sk-configured-far-in-0123"])).toEqual([]);
  });

  test("a cut never leaves the head of a credential behind", async () => {
    const { clip, MAX_LOGGED_CHARS } = await import("../../src/log");
    const key = "sk-unconfigured-" + "k".repeat(40);
    for (const offset of [1, 5, 20, 40]) {
      const text = "x ".repeat((MAX_LOGGED_CHARS - offset) / 2) + key + " tail".repeat(100);
      const s = sinks([]);
      s.both((log) => log.info("m", { text }));
      const v = JSON.parse(s.json[0]!).text as string;
      expect(v).not.toContain("sk-unc");
      expect(clip(text).length).toBeLessThanOrEqual(MAX_LOGGED_CHARS + 40);
    }
  });
});
