#!/usr/bin/env bun
/**
 * Builds the jq engine the selectors run on, from the pinned npm package jq-wasm@1.0.1:
 *
 *   src/balance/selectors/build/jq-glue.cjs   the Emscripten glue with our changes, without its embedded wasm
 *   src/balance/selectors/build/jq-fuel.wasm  jq's wasm with a fuel counter in every loop
 *
 * Runs as the package's postinstall, so a fresh `npm install` / `npm ci` produces both (npm does not apply
 * Bun's patchedDependencies). Does nothing when the stamp says the inputs are unchanged; `--force` rebuilds.
 * Why each change exists: shared/docs/jq-engine.md §A, §B, §D.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const GLUE_IN = join(ROOT, "node_modules/jq-wasm/dist/build/jq.js");
const OUT_DIR = join(ROOT, "src/balance/selectors/build");
const STAMP = join(OUT_DIR, "stamp.json");
const OUTPUTS = ["jq-glue.cjs", "jq-glue.d.cts", "jq-fuel.wasm"];

// The exact upstream file this script was written against; anything else must be looked at by a person.
const GLUE_SHA256 = "e6176c9d7afb0516c2673de8ffef52912acd8d755bf90ec6da96c442000634ae";
// The hand-written I/O block of the upstream glue (from its stdin variables to the end of its Module literal).
const IO_BLOCK_START = '        let stdinString = "";';
const IO_BLOCK_END =
  "raw(jsonString, query, flags = []) { return runtimeInitPromise.then(() => rawImpl(jsonString, query, flags)); } };";
const IO_BLOCK_SHA256 = "8822c98b47089aefe5d15c83b3d6f814154407fee6ba2c0e7a6f0120e1a3e856";
/** Loop iterations between two calls to jq_tick: small enough that a deadline is seen within ~1 ms. */
const FUEL = 1 << 18;

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

function fail(message: string): never {
  process.stderr.write(`build-jq: ${message}\n`);
  process.exit(1);
}

function replaceOnce(src: string, before: string, after: string, what: string): string {
  const at = src.indexOf(before);
  if (at < 0 || src.indexOf(before, at + 1) >= 0)
    fail(`${what}: expected exactly one occurrence in jq.js`);
  return src.slice(0, at) + after + src.slice(at + before.length);
}

/**
 * Our I/O block. Stdin is a block device fed from `Module.jqSetInput` or, when drained, from the blocking
 * `Module.onStdinEmpty` hook (persistent mode); stdout/stderr go to doubling buffers (the upstream glue
 * copied the whole buffer per byte: O(n²)); `jqMain` restores the stack pointer that callMain leaks.
 */
const IO_BLOCK = String.raw`        let jqIn = new Uint8Array(0), jqInPos = 0, jqBroken = "";
        const jqSink = max => ({ buf: new Uint8Array(1024), len: 0, max });
        const jqOut = jqSink(Infinity), jqErr = jqSink(64 * 1024);
        function jqPush(sink, bytes) { const room = Math.min(bytes.length, sink.max - sink.len); if (room <= 0) return;
            if (sink.len + room > sink.buf.length) { let cap = sink.buf.length * 2; while (cap < sink.len + room) cap *= 2;
                const grown = new Uint8Array(cap); grown.set(sink.buf.subarray(0, sink.len)); sink.buf = grown; }
            sink.buf.set(bytes.subarray(0, room), sink.len); sink.len += room; }
        function jqHeapView(buffer, offset, length) { return new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length); }
        function jqTick() { if (Module.onTick) Module.onTick(); }
        function jqInstallDevices() {
            FS.init(() => null, () => {}, () => {});
            const stdin = { open(s) { s.seekable = false; }, read(s, buffer, offset, length) {
                if (length === 0) return 0;
                if (jqInPos >= jqIn.length && Module.onStdinEmpty) { const next = Module.onStdinEmpty(); if (next) { jqIn = next; jqInPos = 0; } }
                const n = Math.min(length, jqIn.length - jqInPos);
                if (n > 0) { jqHeapView(buffer, offset, n).set(jqIn.subarray(jqInPos, jqInPos + n)); jqInPos += n; }
                return n; } };
            const writer = (sink, hook) => ({ open(s) { s.seekable = false; }, write(s, buffer, offset, length) {
                const bytes = jqHeapView(buffer, offset, length); jqPush(sink, bytes); if (Module[hook]) Module[hook](bytes); return length; } });
            [["stdin", stdin], ["stdout", writer(jqOut, "onStdout")], ["stderr", writer(jqErr, "onStderr")]].forEach(([name, ops], fd) => {
                FS.close(FS.getStream(fd)); FS.unlink("/dev/" + name);
                FS.registerDevice(FS.makedev(99, fd), ops); FS.mkdev("/dev/" + name, FS.makedev(99, fd));
                if (FS.open("/dev/" + name, fd === 0 ? 0 : 1).fd !== fd) throw new Error("jq glue: standard stream " + fd + " not reopened in place");
            }); }
        function jqMain(args) {
            if (ABORT || jqBroken) throw new Error("jq instance unusable: " + (jqBroken || "aborted"));
            const sp = __emscripten_stack_alloc(0);
            try { return Module.callMain(args.slice()); }
            catch (e) { jqBroken = String(e && e.message || e); throw e; }
            finally { __emscripten_stack_alloc(__emscripten_stack_alloc(0) - sp); } }
        Module = { ...Module, noInitialRun: true, noExitRuntime: true,
            print(message) { if (Module.onPrintErr) Module.onPrintErr(String(message)); },
            printErr(message) { if (Module.onPrintErr) Module.onPrintErr(String(message)); },
            preRun() { jqInstallDevices(); },
            jqMain,
            jqSetInput(bytes) { jqIn = bytes; jqInPos = 0; },
            jqWriteFile(path, data) { FS.writeFile(path, data); },
            jqTakeOutput() { const r = { stdout: jqOut.buf.slice(0, jqOut.len), stderr: jqErr.buf.slice(0, jqErr.len) }; jqOut.len = 0; jqErr.len = 0; return r; },
            jqUsable() { return !ABORT && !jqBroken; },
            jqMemoryBytes() { return wasmMemory.buffer.byteLength; } };`;

const GLUE_TYPES = `// Generated by scripts/build-jq.ts. The real interface is JqModule in ../jq.ts.
declare function factory(moduleArg?: Record<string, unknown>): Promise<unknown>;
export = factory;
`;

function patchGlue(src: string): string {
  const start = src.indexOf(IO_BLOCK_START);
  const endAt = src.indexOf(IO_BLOCK_END);
  if (start < 0 || endAt < start) fail("I/O block anchors not found in jq.js");
  const end = endAt + IO_BLOCK_END.length;
  if (sha256(src.slice(start, end)) !== IO_BLOCK_SHA256)
    fail("I/O block differs from the one this script replaces");
  let out = src.slice(0, start) + IO_BLOCK + src.slice(end);
  // A failing jq run must not become the server's exit status.
  out = replaceOnce(
    out,
    "quit_ = (status, toThrow) => { process.exitCode = status; throw toThrow; };",
    "quit_ = (status, toThrow) => { throw toThrow; };",
    "quit_",
  );
  // The fuel-instrumented wasm imports a.jq_tick.
  out = replaceOnce(
    out,
    "function getWasmImports() { return { a: wasmImports }; }",
    "function getWasmImports() { return { a: { ...wasmImports, jq_tick: jqTick } }; }",
    "imports",
  );
  // Instances share one compiled WebAssembly.Module (instantiation: ms instead of tens of ms).
  out = replaceOnce(
    out,
    "var binary = await getWasmBinary(binaryFile);\n            var instance = await WebAssembly.instantiate(binary, imports);\n            return instance;",
    'if (!(Module["wasmModule"] instanceof WebAssembly.Module)) throw new Error("jq glue: pass the compiled jq-fuel.wasm as wasmModule");\n' +
      '            return { instance: await WebAssembly.instantiate(Module["wasmModule"], imports), module: Module["wasmModule"] };',
    "instantiate",
  );
  // The stock wasm inside the glue is never used; leaving it out keeps 0.9 MB out of the executable.
  const embedded = out.match(/"data:application\/octet-stream;base64,[A-Za-z0-9+/=]{1000,}"/g);
  if (embedded?.length !== 1) fail("embedded wasm: expected exactly one base64 data URI in jq.js");
  return out.replace(embedded[0], '""');
}

function extractWasm(src: string): Uint8Array {
  const m = src.match(/"data:application\/octet-stream;base64,([A-Za-z0-9+/=]{1000,})"/);
  if (!m) fail("embedded wasm not found in jq.js");
  return new Uint8Array(Buffer.from(m[1]!, "base64"));
}

/**
 * Adds `fuel -= 1; if (fuel < 0) refill()` at the top of every loop, where refill resets the fuel and calls
 * the imported jq_tick. Bun's Worker.terminate() cannot stop a thread spinning inside wasm, so this call
 * back into JS is what lets a deadline interrupt a selector that never ends (doc §D).
 */
async function instrument(wasm: Uint8Array): Promise<Uint8Array> {
  const { default: binaryen } = await import("binaryen").catch((err: Error) =>
    fail(`binaryen (a devDependency) is needed to build the jq engine: ${err.message}`),
  );
  const original = binaryen.readBinary(wasm);
  const lines = original.emitText().split("\n");
  original.dispose();
  const out: string[] = [];
  let loops = 0;
  let headers = 0;
  let lastImport = -1;
  for (const line of lines) {
    out.push(line);
    if (line.includes("(loop")) loops++;
    // A loop header alone on its line has no result type, so statements can go first in its body.
    if (/^\s*\(loop \$[^\s()]+$/.test(line)) {
      headers++;
      out.push("(global.set $jq_fuel (i32.sub (global.get $jq_fuel) (i32.const 1)))");
      out.push("(if (i32.lt_s (global.get $jq_fuel) (i32.const 0)) (then (call $jq_fuel_refill)))");
    }
    if (/^ \(import /.test(line)) lastImport = out.length - 1;
  }
  if (loops < 500 || headers !== loops)
    fail(`instrumentation: ${headers} of ${loops} loops have a plain header`);
  if (lastImport < 0) fail("instrumentation: no imports found");
  out.splice(
    lastImport + 1,
    0,
    ' (import "a" "jq_tick" (func $jq_tick))',
    ` (global $jq_fuel (mut i32) (i32.const ${FUEL}))`,
    ` (func $jq_fuel_refill (global.set $jq_fuel (i32.const ${FUEL})) (call $jq_tick))`,
  );
  const mod = binaryen.parseText(out.join("\n"));
  // jq.wasm uses sign-extension ops and a mutable stack-pointer global; nothing else beyond MVP.
  mod.setFeatures(binaryen.Features.SignExt | binaryen.Features.MutableGlobals);
  if (!mod.validate()) fail("instrumented wasm does not validate");
  const binary = mod.emitBinary();
  mod.dispose();
  process.stdout.write(`build-jq: ${headers} loops instrumented\n`);
  return binary;
}

/** Proves the artifacts work together: an answer, a deadline that interrupts a loop, no exit code. */
async function smokeTest(): Promise<void> {
  const factory = (await import(join(OUT_DIR, "jq-glue.cjs"))).default as (
    o: object,
  ) => Promise<any>;
  const wasmModule = new WebAssembly.Module(readFileSync(join(OUT_DIR, "jq-fuel.wasm")));
  const jq = await factory({ wasmModule });
  jq.jqSetInput(new TextEncoder().encode('{"a":[1,2]}'));
  const status = jq.jqMain(["-c", ".a | add", "/dev/stdin"]);
  const out = new TextDecoder().decode(jq.jqTakeOutput().stdout);
  if (status !== 0 || out !== "3\n")
    fail(`smoke test: expected "3", got status ${status} and ${JSON.stringify(out)}`);
  const looping = await factory({ wasmModule });
  const deadline = performance.now() + 50;
  looping.onTick = () => {
    if (performance.now() > deadline) throw new Error("deadline");
  };
  let stopped = "";
  try {
    looping.jqMain(["-n", "def f: f; f"]);
  } catch (e) {
    stopped = String((e as Error).message);
  }
  if (stopped !== "deadline" || looping.jqUsable())
    fail(`smoke test: a looping program was not interrupted (${stopped})`);
  if (process.exitCode) fail(`smoke test: process.exitCode was set to ${process.exitCode}`);
}

async function main(): Promise<void> {
  if (!existsSync(GLUE_IN)) fail(`${GLUE_IN} is missing: is jq-wasm@1.0.1 installed?`);
  const glue = readFileSync(GLUE_IN, "utf8");
  const binaryenManifest = join(ROOT, "node_modules/binaryen/package.json");
  const binaryenVersion = existsSync(binaryenManifest)
    ? (JSON.parse(readFileSync(binaryenManifest, "utf8")).version as string)
    : "missing";
  const inputs = sha256(
    [sha256(glue), sha256(readFileSync(fileURLToPath(import.meta.url))), binaryenVersion].join(" "),
  );
  const force = process.argv.includes("--force");
  if (!force && existsSync(STAMP) && OUTPUTS.every((f) => existsSync(join(OUT_DIR, f)))) {
    if (JSON.parse(readFileSync(STAMP, "utf8")).inputs === inputs) return;
  }
  if (sha256(glue) !== GLUE_SHA256)
    fail(
      `jq.js is not the jq-wasm@1.0.1 file this script was written for (sha256 ${sha256(glue)})`,
    );
  const started = performance.now();
  const wasm = await instrument(extractWasm(glue));
  mkdirSync(OUT_DIR, { recursive: true });
  // Write-then-rename, so an interrupted build never leaves a half file that the stamp would vouch for.
  const put = (name: string, data: string | Uint8Array) => {
    writeFileSync(join(OUT_DIR, name + ".tmp"), data);
    renameSync(join(OUT_DIR, name + ".tmp"), join(OUT_DIR, name));
  };
  put(
    "jq-glue.cjs",
    `// Generated by scripts/build-jq.ts from jq-wasm@1.0.1 dist/build/jq.js. Do not edit.\n${patchGlue(glue)}`,
  );
  put("jq-glue.d.cts", GLUE_TYPES);
  put("jq-fuel.wasm", wasm);
  await smokeTest();
  put("stamp.json", JSON.stringify({ inputs, binaryen: binaryenVersion, fuel: FUEL }) + "\n");
  process.stdout.write(
    `build-jq: wrote ${OUT_DIR} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

await main();
