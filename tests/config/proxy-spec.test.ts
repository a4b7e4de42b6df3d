import { describe, expect, test } from "bun:test";
import { authority, parseProxyUrl, redactUrl, type ProxySpec } from "../../src/config/proxy-spec";

function spec(s: string): ProxySpec {
  const r = parseProxyUrl(s);
  if (r instanceof Error) throw r;
  return r;
}

describe("parseProxyUrl", () => {
  test("accepts the four schemes with their default ports", () => {
    expect(spec("http://proxy.corp")).toMatchObject({ kind: "http", host: "proxy.corp", port: 80 });
    expect(spec("https://proxy.corp")).toMatchObject({ kind: "https", port: 443 });
    expect(spec("socks5://127.0.0.1")).toMatchObject({ kind: "socks5", port: 1080 });
    expect(spec("socks5h://[::1]:9050/")).toMatchObject({
      kind: "socks5h",
      host: "::1",
      port: 9050,
      display: "socks5h://[::1]:9050",
    });
  });

  test("decodes credentials and never shows them", () => {
    const s = spec("socks5://us%40er:p%3Ass@h:1080");
    expect([s.username, s.password]).toEqual(["us@er", "p:ss"]);
    expect(s.display).toBe("socks5://***@h:1080");
    expect(spec("http://token@h:3128")).toMatchObject({ username: "token", password: undefined });
  });

  test.each([
    ["ftp://u:hunter2@h:21", "ftp://u:hunter2@h:21", "scheme"],
    ["socks4://u:hunter2@h:1080", "socks4://u:hunter2@h:1080", "scheme"],
    ["http://u:hunter2@h:3128/v1", "http://u:hunter2@h:3128/v1", "no path"],
    ["http://u:hunter2@h:3128?x=1", "http://u:hunter2@h:3128?x=1", "no path"],
    ["http://u:hunter2@h:99999", "http://u:hunter2@h:99999", "invalid proxy URL"],
    ["u:hunter2@h:3128", "u:hunter2@h:3128", "invalid proxy URL"],
    ["http://:hunter2@h:3128", "http://:hunter2@h:3128", "needs a username"],
    ["socks5://u:hunter2@", "socks5://u:hunter2@", "invalid proxy URL"],
    ["a 256-byte SOCKS password", `socks5://u:${"x".repeat(256)}hunter2@h:1080`, "255 bytes"],
  ])("refuses %s without echoing the password", (_label, url, why) => {
    const r = parseProxyUrl(url);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toContain(why);
    expect((r as Error).message).not.toContain("hunter2");
  });

  test("redactUrl masks userinfo, parseable or not", () => {
    expect(redactUrl("socks5h://a:b@c@host:1")).toBe("socks5h://***@host:1");
    expect(redactUrl("a:b@host:1")).toBe("***@host:1");
    expect(redactUrl("http://host:1/p@x")).toBe("http://host:1/p@x");
  });

  test("authority brackets IPv6 literals only", () => {
    expect(authority("::1", 1080)).toBe("[::1]:1080");
    expect(authority("proxy.corp", 3128)).toBe("proxy.corp:3128");
  });
});
