import { describe, expect, test } from "bun:test";
import { Alone, send, Writes, type DirectController } from "../../src/relay/writes";

/** A direct stream's controller that records its calls; `pushBack` calls return a promise. */
function recorder(pushBack: (call: string) => boolean = () => false) {
  const calls: string[] = [];
  const answer = (call: string): number | Promise<number> => {
    calls.push(call);
    return pushBack(call) ? Promise.resolve(0) : 0;
  };
  const c: DirectController = {
    write: (data) => answer(`write ${typeof data === "string" ? data : `[${data.length} bytes]`}`),
    flush: () => answer("flush"),
    close: () => void calls.push("close"),
  };
  return { c, calls };
}

describe("Writes", () => {
  test("text that follows text joins it; bytes stay apart; empty writes are dropped", () => {
    const out = new Writes();
    out.add("a");
    out.add("");
    out.add("b");
    out.add(new Uint8Array([1, 2]));
    out.add("c");
    out.add("d");
    expect(out.list).toEqual(["ab", new Uint8Array([1, 2]), "cd"]);
    expect(out.erred).toBe(false);
  });

  test("an error is alone, stays so, and marks the stream for good", () => {
    const out = new Writes();
    out.error("boom");
    out.add("after");
    expect(out.opensWithError()).toBe(true);
    expect(out.list).toEqual([new Alone("boom"), "after"]);
    out.clear();
    expect(out.empty()).toBe(true);
    expect(out.erred).toBe(true);
  });
});

describe("send", () => {
  test("an alone write is flushed before and after: it leaves in a network write of its own", () => {
    const { c, calls } = recorder();
    expect(send(c, ["before", new Alone("error"), "after"])).toBeUndefined();
    expect(calls).toEqual(["write before", "flush", "write error", "flush", "write after"]);
  });

  test("a socket that pushes back is waited for, and the rest follows in order", async () => {
    const { c, calls } = recorder((call) => call === "write a" || call === "write error");
    const pending = send(c, ["a", "b", new Alone("error"), "c"]);
    expect(pending).toBeInstanceOf(Promise);
    expect(calls).toEqual(["write a"]); // nothing more before the socket took it
    await pending;
    expect(calls).toEqual(["write a", "write b", "flush", "write error", "flush", "write c"]);
  });
});
