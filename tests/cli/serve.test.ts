/**
 * startRouter's secrets and startup warnings: a short token is warned about, a --log-file that is
 * a symbolic link is a usage error (exit 2), and secrets from outside the config file (the token,
 * --proxy credentials) are masked in upstream errors relayed to clients.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError, type Options } from "../../src/cli/args";
import { startRouter, type Router } from "../../src/cli/serve";
import { captureLogs, findSecrets } from "../../src/log";

const dir = mkdtempSync(join(tmpdir(), "llm-router-serve-"));
const PROXY_PASSWORD = "global-proxy-pass-1234";
const LONG_TOKEN = "a-long-enough-router-token-0123456789";
let upstream: ReturnType<typeof Bun.serve>;
let config: string;

beforeAll(() => {
  // An upstream that echoes every credential it can think of, as some compat servers do.
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      Response.json(
        { error: { message: `token ${LONG_TOKEN} or proxy ${PROXY_PASSWORD} rejected` } },
        { status: 400 },
      ),
  });
  config = join(dir, "config.yaml");
  writeFileSync(
    config,
    `model_list:
  - model_name: m
    llm_params: { api_type: openai, model: x, api_base: "http://127.0.0.1:${upstream.port}/v1", api_key: sk-configured-0123456789 }
router_settings:
  model_groups:
    - name: g
      models: [{ name: m }]
`,
  );
});

afterAll(async () => {
  await upstream?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const options = (over: Partial<Options>): Options => ({
  ip: "127.0.0.1",
  port: 0,
  config,
  logLevel: "warn",
  workers: 1,
  json: false,
  checkTimeoutMs: 10_000,
  ...over,
});

async function started(over: Partial<Options>): Promise<{ router: Router; warnings: string[] }> {
  const cap = captureLogs({ level: "warn" });
  try {
    const router = await startRouter(options(over), {});
    return { router, warnings: cap.records().map((r) => r.msg) };
  } finally {
    cap.stop();
  }
}

describe("startup", () => {
  test("a token shorter than 16 characters is warned about; a long one is not", async () => {
    const short = await started({ token: "short-tok1" });
    await short.router.shutdown(0);
    expect(short.warnings.some((m) => m.includes("router token is 10 characters long"))).toBe(true);
    const long = await started({ token: LONG_TOKEN });
    await long.router.shutdown(0);
    expect(long.warnings.filter((m) => m.includes("router token"))).toEqual([]);
  });

  test("a --log-file that is a symbolic link is a usage error (exit 2) naming the reason", async () => {
    const link = join(dir, "router.log");
    symlinkSync(join(dir, "elsewhere.log"), link);
    const err = await startRouter(options({ logFile: link }), {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain("symbolic link");
  });
});

describe("secrets from outside the config file", () => {
  test("the token and --proxy credentials are masked in an upstream error relayed to the client", async () => {
    const { router } = await started({
      token: LONG_TOKEN,
      proxy: `http://someone:${PROXY_PASSWORD}@127.0.0.1:9`,
    });
    try {
      const res = await fetch(`${router.server.url.origin}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${LONG_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "g", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(findSecrets([text], [LONG_TOKEN, PROXY_PASSWORD])).toEqual([]);
      expect(text).toContain("token [REDACTED] or proxy [REDACTED] rejected");
    } finally {
      await router.shutdown(0);
    }
  });
});
