import { describe, expect, test } from "bun:test";
import { readJitDump } from "../../bench/jit-map";

/** A jitdump as JSC writes it: a 40-byte header, then records; only code loads matter here. */
function dump(
  loads: { start: number; size: number; name: string }[],
  extra?: Uint8Array,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(40));
  header.setUint32(0, 0x4a695444, true);
  header.setUint32(4, 1, true);
  header.setUint32(8, 40, true);
  parts.push(new Uint8Array(header.buffer));
  for (const l of loads) {
    const name = new TextEncoder().encode(l.name + "\0");
    const code = new Uint8Array(l.size % 7); // some code bytes, never read
    const size = 56 + name.length + code.length;
    const rec = new DataView(new ArrayBuffer(56));
    rec.setUint32(0, 0, true);
    rec.setUint32(4, size, true);
    rec.setBigUint64(24, BigInt(l.start), true);
    rec.setBigUint64(32, BigInt(l.start), true);
    rec.setBigUint64(40, BigInt(l.size), true);
    parts.push(new Uint8Array(rec.buffer), name, code);
  }
  if (extra) parts.push(extra);
  return Buffer.concat(parts);
}

describe("jitdump → perf map", () => {
  test("keeps the newest code at each address", () => {
    const code = readJitDump(
      dump([
        { start: 0x1000, size: 0x100, name: "old" },
        { start: 0x2000, size: 0x40, name: "kept" },
        { start: 0x1080, size: 0x100, name: "new" },
      ]),
    );
    expect(code.map((c) => [Number(c.start), c.name])).toEqual([
      [0x1080, "new"],
      [0x2000, "kept"],
    ]);
  });

  test("stops at a record still being written", () => {
    const torn = new Uint8Array(20);
    new DataView(torn.buffer).setUint32(4, 500, true);
    expect(
      readJitDump(dump([{ start: 0x10, size: 8, name: "f" }], torn)).map((c) => c.name),
    ).toEqual(["f"]);
  });

  test("refuses a file that is not a jitdump", () => {
    expect(() => readJitDump(new Uint8Array(64))).toThrow(/magic/);
  });
});
