import { describe, expect, test } from "bun:test";
import { createMetricsEndpoint, Metrics } from "../../src/metrics";
import { parseExposition, value } from "./parse";

const URL_ = "http://router.test/metrics";

function setup(opts: { token?: string; public?: boolean | (() => boolean) }) {
  const m = new Metrics();
  m.recordAttempt({ model: "a", outcome: "ok" });
  return createMetricsEndpoint(m, opts);
}

describe("GET /metrics", () => {
  test("needs the router token when one is set", async () => {
    const handle = setup({ token: "secret" });
    const missing = await handle(new Request(URL_));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    expect(
      (await handle(new Request(URL_, { headers: { authorization: "Bearer wrong" } }))).status,
    ).toBe(401);

    const ok = await handle(new Request(URL_, { headers: { authorization: "Bearer secret" } }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    expect(
      value(parseExposition(await ok.text()), "llm_router_upstream_attempts_total", {
        model: "a",
        outcome: "ok",
      }),
    ).toBe(1);
  });

  test("metrics_public opens it even when the router has a token", async () => {
    const res = await setup({ token: "secret", public: true })(new Request(URL_));
    expect(res.status).toBe(200);
  });

  test("a public flag given as a function is read on every request, so reloads apply", async () => {
    let open = false;
    const handle = setup({ token: "secret", public: () => open });
    expect((await handle(new Request(URL_))).status).toBe(401);
    open = true;
    expect((await handle(new Request(URL_))).status).toBe(200);
  });

  test("is open when the router has no token", async () => {
    expect((await setup({})(new Request(URL_))).status).toBe(200);
  });

  test("answers HEAD without a body and refuses other methods", async () => {
    const handle = setup({});
    const head = await handle(new Request(URL_, { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await handle(new Request(URL_, { method: "POST" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
