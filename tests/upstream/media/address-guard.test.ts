import { describe, expect, test } from "bun:test";
import { DEFAULT_MEDIA, type MediaSettings } from "../../../src/config/types";
import {
  addressKind,
  addressPolicy,
  allowedByName,
  parseAddress,
  refusal,
} from "../../../src/upstream/media/address-guard";
import { destination, type Lookup } from "../../../src/upstream/media/destination";

/**
 * The address guard alone: which addresses media downloads may reach. Every non-public range,
 * IPv4 and IPv6, the IPv6 forms that carry an IPv4 address, and the odd IPv4 spellings URLs allow.
 */

const settings = (over: Partial<MediaSettings> = {}): MediaSettings => ({
  ...DEFAULT_MEDIA,
  ...over,
});

// [address, kind] — undefined: public unicast, reachable by default.
const TABLE: [string, string | undefined][] = [
  ["8.8.8.8", undefined],
  ["1.1.1.1", undefined],
  ["93.184.216.34", undefined],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["11.0.0.1", undefined],
  ["100.63.255.255", undefined],
  ["100.64.0.1", "shared (CGNAT)"],
  ["100.127.255.255", "shared (CGNAT)"],
  ["100.128.0.0", undefined],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "link-local"],
  ["169.254.0.1", "link-local"],
  ["172.15.255.255", undefined],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.0", undefined],
  ["192.0.0.8", "reserved"],
  ["192.0.2.1", "documentation"],
  ["192.168.1.1", "private"],
  ["192.169.0.1", undefined],
  ["198.18.0.1", "reserved"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.251", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  // IPv6
  ["2606:4700:4700::1111", undefined],
  ["2a00:1450:4001:81c::200e", undefined],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["[::1]", "loopback"],
  ["fc00::1", "unique-local"],
  ["fd12:3456:789a::1", "unique-local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf::1", "link-local"],
  ["fec0::1", "private"],
  ["ff02::1", "multicast"],
  ["ff05::1:3", "multicast"],
  ["100::1", "reserved"],
  ["2001:db8::1", "documentation"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
  ["64:ff9b:1::a00:1", "private"],
  // IPv4 inside IPv6: judged by the IPv4 address.
  ["::ffff:127.0.0.1", "loopback (inside IPv6)"],
  ["::ffff:7f00:1", "loopback (inside IPv6)"],
  ["0:0:0:0:0:ffff:7f00:1", "loopback (inside IPv6)"],
  ["::ffff:169.254.169.254", "link-local (inside IPv6)"],
  ["::ffff:10.1.2.3", "private (inside IPv6)"],
  ["::ffff:8.8.8.8", undefined],
  ["::127.0.0.1", "loopback (inside IPv6)"],
  ["::7f00:1", "loopback (inside IPv6)"],
  ["::a9fe:a9fe", "link-local (inside IPv6)"],
  ["::0.0.0.2", "unspecified (inside IPv6)"],
  ["::ffff:0:10.0.0.1", "private (inside IPv6)"],
  ["64:ff9b::10.0.0.1", "private (inside IPv6)"],
  ["64:ff9b::7f00:1", "loopback (inside IPv6)"],
  ["64:ff9b::808:808", undefined],
  ["2002:7f00:1::", "loopback (inside IPv6)"],
  ["2002:c0a8:101::1", "private (inside IPv6)"],
  ["2002:808:808::1", undefined],
];

describe("addressKind", () => {
  test.each(TABLE)("%s → %p", (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  test.each([
    "",
    "localhost",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "256.1.1.1",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::g",
    "::1.2.3.999",
    ":1::",
    "0x7f.0.0.1",
    "2130706433",
  ])("%p is not an address: refused, never taken for a public one", (text) => {
    expect(parseAddress(text)).toBeUndefined();
    expect(addressKind(text)).toBe("not an IP address");
    expect(refusal(addressPolicy(settings()), text)).toBeDefined();
  });
});

describe("refusal under a policy", () => {
  test("by default every non-public address is refused, and every public one allowed", () => {
    const policy = addressPolicy(settings());
    for (const [address, kind] of TABLE) {
      if (kind === undefined) expect(refusal(policy, address)).toBeUndefined();
      else expect(refusal(policy, address)).toBe(`${address} (${kind})`);
    }
  });

  test("allow_private admits them all, an unparsable address still not", () => {
    const policy = addressPolicy(settings({ allowPrivate: true }));
    for (const [address] of TABLE) expect(refusal(policy, address)).toBeUndefined();
    expect(refusal(policy, "localhost")).toBeDefined();
  });

  test("allow_hosts CIDR ranges admit the addresses inside them only, the IPv4-mapped spelling included", () => {
    const policy = addressPolicy(
      settings({ allowHosts: ["10.1.0.0/16", "fd00:1::/32", "192.168.7.7", "::1"] }),
    );
    expect(refusal(policy, "10.1.2.3")).toBeUndefined();
    expect(refusal(policy, "::ffff:10.1.2.3")).toBeUndefined();
    expect(refusal(policy, "10.2.0.1")).toBe("10.2.0.1 (private)");
    expect(refusal(policy, "fd00:1:ffff::5")).toBeUndefined();
    expect(refusal(policy, "fd00:2::5")).toBeDefined();
    // A bare address is a range of one.
    expect(refusal(policy, "192.168.7.7")).toBeUndefined();
    expect(refusal(policy, "192.168.7.8")).toBeDefined();
    expect(refusal(policy, "::1")).toBeUndefined();
    expect(refusal(policy, "127.0.0.1")).toBeDefined();
  });

  test("allow_hosts names match exactly, case and trailing dot aside, and are no ranges", () => {
    const policy = addressPolicy(settings({ allowHosts: ["images.internal", "10.0.0.0/8"] }));
    expect(allowedByName(policy, "images.internal")).toBe(true);
    expect(allowedByName(policy, "IMAGES.Internal.")).toBe(true);
    expect(allowedByName(policy, "x.images.internal")).toBe(false);
    expect(allowedByName(policy, "images.internal.evil.com")).toBe(false);
    expect(allowedByName(policy, "10.0.0.0/8")).toBe(false);
  });

  test("a policy is compiled once per settings object", () => {
    const s = settings({ allowHosts: ["10.0.0.0/8"] });
    expect(addressPolicy(s)).toBe(addressPolicy(s));
  });
});

/** A lookup that must not be called: address literals are checked as they are. */
const noLookup: Lookup = () => {
  throw new Error("looked up an address literal");
};

describe("URLs: the URL parser's spelling of a host is what gets checked", () => {
  const policy = addressPolicy(settings());
  const signal = new AbortController().signal;
  const refused = async (url: string) => destination(new URL(url), policy, noLookup, signal);

  test.each([
    ["http://127.0.0.1/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://2130706433/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://0x7f.1/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://0x7f000001/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://0177.0.0.1/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://127.1/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://%31%32%37.0.0.1/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://０x7f.1/", "address not allowed: 127.0.0.1 (loopback)"],
    ["http://0/", "address not allowed: 0.0.0.0 (unspecified)"],
    [
      "http://169.254.169.254/latest/meta-data/",
      "address not allowed: 169.254.169.254 (link-local)",
    ],
    ["http://[::1]:8080/", "address not allowed: ::1 (loopback)"],
    ["http://[::ffff:127.0.0.1]/", "address not allowed: ::ffff:7f00:1 (loopback (inside IPv6))"],
    ["http://[::127.0.0.1]/", "address not allowed: ::7f00:1 (loopback (inside IPv6))"],
    [
      "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
      "address not allowed: ::ffff:a9fe:a9fe (link-local (inside IPv6))",
    ],
    ["http://[64:ff9b::10.0.0.1]/", "address not allowed: 64:ff9b::a00:1 (private (inside IPv6))"],
    ["https://[fd00::1]/", "address not allowed: fd00::1 (unique-local)"],
  ])("%s is refused: %s", async (url, why) => {
    expect(await refused(url)).toBe(why);
  });

  test("credentials in the URL and schemes other than http(s) are refused before any lookup", async () => {
    expect(await refused("http://user:pw@8.8.8.8/a.png")).toBe(
      "credentials in a media URL are refused",
    );
    expect(await refused("http://user@8.8.8.8/a.png")).toBe(
      "credentials in a media URL are refused",
    );
    expect(await refused("ftp://8.8.8.8/a.png")).toBe("scheme ftp: is not downloaded");
    expect(await refused("file:///etc/passwd")).toBe("scheme file: is not downloaded");
  });

  test("a public literal goes out as it is", async () => {
    expect(await refused("https://8.8.8.8:8443/a.png?x=1")).toEqual({
      connectUrl: "https://8.8.8.8:8443/a.png?x=1",
      host: "8.8.8.8:8443",
    });
  });
});

describe("names: resolved once, every answer checked, the checked address connected to", () => {
  const signal = new AbortController().signal;
  const answers =
    (...list: string[]): Lookup =>
    async () =>
      list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

  test("a public name is pinned to its address, with the name kept for Host and TLS", async () => {
    const d = await destination(
      new URL("https://images.example/cat.png?s=1"),
      addressPolicy(settings()),
      answers("2606:4700::1", "93.184.216.34"),
      signal,
    );
    expect(d).toEqual({
      connectUrl: "https://93.184.216.34/cat.png?s=1",
      host: "images.example",
      serverName: "images.example",
    });
  });

  test("IPv6 only: the address goes in brackets; plain http has no server name", async () => {
    const d = await destination(
      new URL("http://images.example:8080/a"),
      addressPolicy(settings()),
      answers("2606:4700::1"),
      signal,
    );
    expect(d).toEqual({
      connectUrl: "http://[2606:4700::1]:8080/a",
      host: "images.example:8080",
      serverName: undefined,
    });
  });

  test.each([
    ["127.0.0.1"],
    ["10.0.0.5"],
    ["169.254.169.254"],
    ["::1"],
    ["::ffff:192.168.0.1"],
    ["fd00::2"],
  ])("one internal answer (%s) among public ones refuses the name", async (internal) => {
    const d = await destination(
      new URL("http://evil.example/a.png"),
      addressPolicy(settings()),
      answers("93.184.216.34", internal),
      signal,
    );
    expect(d).toStartWith("evil.example resolves to an address not allowed: ");
  });

  test("localhost and names that do not resolve are refused", async () => {
    expect(
      await destination(
        new URL("http://localhost/a"),
        addressPolicy(settings()),
        answers("127.0.0.1"),
        signal,
      ),
    ).toBe("localhost resolves to an address not allowed: 127.0.0.1 (loopback)");
    const failing: Lookup = async () => {
      throw Object.assign(new Error("getaddrinfo failed"), { code: "ENOTFOUND" });
    };
    expect(
      await destination(
        new URL("http://nowhere.invalid/a"),
        addressPolicy(settings()),
        failing,
        signal,
      ),
    ).toBe("nowhere.invalid does not resolve: ENOTFOUND");
    expect(
      await destination(
        new URL("http://empty.invalid/a"),
        addressPolicy(settings()),
        answers(),
        signal,
      ),
    ).toBe("empty.invalid does not resolve");
  });

  test("a name in allow_hosts is not looked up at all and goes out by name", async () => {
    const d = await destination(
      new URL("http://images.internal/a.png"),
      addressPolicy(settings({ allowHosts: ["images.internal"] })),
      noLookup,
      signal,
    );
    expect(d).toEqual({ connectUrl: "http://images.internal/a.png", host: "images.internal" });
  });

  test("the lookup is made once per check", async () => {
    let calls = 0;
    const counting: Lookup = async () => (calls++, [{ address: "93.184.216.34", family: 4 }]);
    await destination(
      new URL("http://images.example/a"),
      addressPolicy(settings()),
      counting,
      signal,
    );
    expect(calls).toBe(1);
  });
});
