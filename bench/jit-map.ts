/**
 * Names for a profile's JavaScript frames. A Bun process started with BUN_JSC_useJITDump=1
 * writes every piece of code its JIT emits to a jitdump file (/tmp/jit-<tid>-<pid>-<random>);
 * perf's own importer expects another file name, so this turns the dump into the symbol map
 * perf reads for any process (/tmp/perf-<pid>.map). Code is freed and its addresses reused,
 * so only the newest code at each address is kept.
 *
 * `bun bench/jit-map.ts <pid>` after recording; BENCHMARKS.md ("Profiling") has the whole recipe.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CODE_LOAD = 0;

interface Code {
  start: bigint;
  size: bigint;
  name: string;
}

export function readJitDump(bytes: Uint8Array): Code[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== 0x4a695444) throw new Error("not a jitdump file (bad magic)");
  const names = new TextDecoder();
  const loads: Code[] = [];
  for (let at = view.getUint32(8, true); at + 16 <= bytes.length;) {
    const id = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    if (size === 0 || at + size > bytes.length) break; // a record still being written
    if (id === CODE_LOAD) {
      const start = view.getBigUint64(at + 32, true);
      const length = view.getBigUint64(at + 40, true);
      const nameAt = at + 56;
      const name = names.decode(bytes.subarray(nameAt, bytes.indexOf(0, nameAt)));
      loads.push({ start, size: length, name });
    }
    at += size;
  }
  return newestFirst(loads);
}

/** The code that last held each address: loads are taken newest first, and older overlaps dropped. */
function newestFirst(loads: Code[]): Code[] {
  const kept: Code[] = []; // sorted by start, none overlapping
  for (let i = loads.length - 1; i >= 0; i--) {
    const c = loads[i]!;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.start < c.start) lo = mid + 1;
      else hi = mid;
    }
    const before = kept[lo - 1];
    const after = kept[lo];
    if (before && before.start + before.size > c.start) continue;
    if (after && after.start < c.start + c.size) continue;
    kept.splice(lo, 0, c);
  }
  return kept;
}

if (import.meta.main) {
  const pid = process.argv[2];
  if (!pid || !/^\d+$/.test(pid)) throw new Error("usage: bun bench/jit-map.ts <pid>");
  const dir = process.env.TMPDIR ?? tmpdir();
  const dump = readdirSync(dir).find((f) => new RegExp(`^jit-\\d+-${pid}-`).test(f));
  if (!dump)
    throw new Error(
      `no jitdump for process ${pid} in ${dir}: was it started with BUN_JSC_useJITDump=1?`,
    );
  const code = readJitDump(readFileSync(join(dir, dump)));
  const map = `/tmp/perf-${pid}.map`;
  writeFileSync(
    map,
    code.map((c) => `${c.start.toString(16)} ${c.size.toString(16)} ${c.name}\n`).join(""),
  );
  console.log(`${map}: ${code.length} pieces of code from ${join(dir, dump)}`);
}
