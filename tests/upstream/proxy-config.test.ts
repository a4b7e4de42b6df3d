import { describe, expect, test } from "bun:test";
import {
  bypassesProxy,
  fetchOptionsFor,
  parseProxyUrl,
  proxyEnvProblems,
  proxyFor,
  type ProxySpec,
} from "../../src/upstream/proxy";

function spec(s: string): ProxySpec {
  const r = parseProxyUrl(s);
  if (r instanceof Error) throw r;
  return r;
}

describe("NO_PROXY", () => {
  const bypass = (url: string, value: string, name = "NO_PROXY") =>
    bypassesProxy(new URL(url), { [name]: value });

  test("domains match themselves and their subdomains, with or without a leading dot or *.", () => {
    for (const entry of ["example.com", ".example.com", "*.example.com", "EXAMPLE.com"]) {
      expect(bypass("https://example.com/v1", entry)).toBe(true);
      expect(bypass("https://api.eu.example.com/v1", entry)).toBe(true);
      expect(bypass("https://badexample.com/v1", entry)).toBe(false);
    }
    expect(bypass("https://example.com./", "example.com")).toBe(true);
  });

  test("*, lists split by commas and spaces, host:port", () => {
    expect(bypass("https://anything.io", "*")).toBe(true);
    expect(bypass("https://b.io", " a.io ,b.io  c.io")).toBe(true);
    expect(bypass("http://h.io:8080/", "h.io:8080")).toBe(true);
    expect(bypass("http://h.io:8081/", "h.io:8080")).toBe(false);
    expect(bypass("https://h.io/", "h.io:443")).toBe(true);
    expect(bypass("http://h.io/", "h.io:443")).toBe(false);
  });

  test("IP addresses and CIDR blocks match address literals only", () => {
    expect(bypass("http://127.0.0.1:8000/", "127.0.0.1")).toBe(true);
    expect(bypass("http://127.0.0.10:8000/", "127.0.0.1")).toBe(false);
    expect(bypass("http://[::1]:8000/", "::1")).toBe(true);
    expect(bypass("http://[0:0::1]:8000/", "[::1]:8000")).toBe(true);
    expect(bypass("http://[::1]:8001/", "[::1]:8000")).toBe(false);
    expect(bypass("http://10.1.2.3/", "10.0.0.0/8")).toBe(true);
    expect(bypass("http://11.1.2.3/", "10.0.0.0/8")).toBe(false);
    expect(bypass("http://[fd12::5]/", "fd00::/8")).toBe(true);
    expect(bypass("http://localhost/", "127.0.0.0/8")).toBe(false);
    expect(bypass("http://127.0.0.1/", "localhost")).toBe(false);
  });

  test("no_proxy wins over NO_PROXY unless empty", () => {
    expect(bypassesProxy(new URL("http://a.io"), { no_proxy: "b.io", NO_PROXY: "a.io" })).toBe(
      false,
    );
    expect(bypassesProxy(new URL("http://a.io"), { no_proxy: "", NO_PROXY: "a.io" })).toBe(true);
    expect(bypass("http://a.io", "a.io", "no_proxy")).toBe(true);
  });
});

describe("proxyFor", () => {
  const target = "https://api.openai.com/v1/chat/completions";

  test("the model's proxy beats --proxy, which beats the environment", () => {
    const env = { HTTPS_PROXY: "http://env:1", ALL_PROXY: "socks5://all:1" };
    expect(proxyFor(target, "socks5h://model:1", "http://global:1", env)?.host).toBe("model");
    expect(proxyFor(target, undefined, "http://global:1", env)?.host).toBe("global");
    expect(proxyFor(target, undefined, undefined, env)?.host).toBe("env");
    expect(proxyFor("http://x.io/", undefined, undefined, env)?.host).toBe("all");
    expect(
      proxyFor("http://x.io/", undefined, undefined, {
        http_proxy: "http://low:1",
        HTTP_PROXY: "http://up:1",
      })?.host,
    ).toBe("low");
    expect(proxyFor(target, undefined, undefined, {})).toBeUndefined();
  });

  test("NO_PROXY applies to every source, the model's proxy included", () => {
    expect(
      proxyFor(target, "socks5://m:1", "http://g:1", { NO_PROXY: ".openai.com" }),
    ).toBeUndefined();
    expect(
      proxyFor("https://api.anthropic.com/", "socks5://m:1", undefined, { NO_PROXY: ".openai.com" })
        ?.host,
    ).toBe("m");
  });

  test("an unusable value throws without its credentials; proxyEnvProblems finds them up front", () => {
    expect(() =>
      proxyFor(target, undefined, undefined, { HTTPS_PROXY: "gopher://u:hunter2@h" }),
    ).toThrow(/gopher:\/\/\*\*\*@h/);
    expect(
      proxyEnvProblems({ ALL_PROXY: "nope://u:hunter2@h", HTTP_PROXY: "http://fine:1" }),
    ).toEqual([
      'ALL_PROXY: invalid proxy URL "nope://***@h": the scheme must be http, https, socks5 or socks5h',
    ]);
  });
});

describe("fetchOptionsFor", () => {
  test("direct calls turn Bun's own proxy environment off", async () => {
    expect(await fetchOptionsFor(undefined)).toEqual({ proxy: false });
  });

  test("HTTP proxies get their credentials as a header, not in the URL", async () => {
    expect(await fetchOptionsFor(spec("https://u:p%40ss@proxy:8443"))).toEqual({
      proxy: {
        url: "https://proxy:8443",
        headers: { "Proxy-Authorization": `Basic ${btoa("u:p@ss")}` },
        respectNoProxy: false,
      },
    });
    expect(await fetchOptionsFor(spec("http://[::1]:3128"))).toEqual({
      proxy: { url: "http://[::1]:3128", headers: undefined, respectNoProxy: false },
    });
  });
});
