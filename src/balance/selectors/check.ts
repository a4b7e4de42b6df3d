/**
 * Compile checks for single selectors, run when the config loads. They run jq -n on the main thread: the
 * programs only compile the selector (it never runs), which takes about a millisecond.
 */
import { checkPrograms, usesInternalName } from "./program";
import { createJq, decode, loadJqModule, type JqModule } from "./jq";

export interface SelectorCheck {
  ok: boolean;
  message?: string;
  /** Within the selector text, when jq reports one (jq 1.7 reports lines, not columns). */
  line?: number;
  col?: number;
}

const PROGRAM_FILE = "/selector-check.jq";
/** A compile cannot loop, but an absurdly large selector should still not hold the event loop for long. */
const COMPILE_DEADLINE_MS = 2_000;
/** The checking instance is dropped when unused for this long: it is 16 MiB of wasm memory. */
const IDLE_RELEASE_MS = 10_000;

/**
 * Selectors that compiled: the config loader checks each one and the engine checks them again as it
 * starts, ~5 ms of jq compiling per selector that startup would otherwise pay twice. Failures are not
 * kept: a compile cut short by the deadline or the heap limit may pass on a quieter moment.
 */
const compiledOk = new Set<string>();
const MAX_REMEMBERED = 1_000;

let instance: Promise<JqModule> | undefined;
let releaseTimer: ReturnType<typeof setTimeout> | undefined;
let deadline = Infinity;

function checker(): Promise<JqModule> {
  instance ??= loadJqModule().then((mod) =>
    createJq(mod, {
      onTick: () => {
        if (performance.now() > deadline)
          throw new Error(`compiling took longer than ${COMPILE_DEADLINE_MS} ms`);
      },
    }),
  );
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => (instance = undefined), IDLE_RELEASE_MS);
  releaseTimer.unref?.();
  return instance;
}

/** `jq: error: <message> at <where>, line N:` followed by the offending program line(s). */
const ERROR_LINE = /^jq: error: (.*?)(?: at (?:<top-level>|[^,]*), line (\d+):)?$/;

function parseCompileErrors(
  stderr: string,
  firstLine: number,
  selectorLines: number,
): SelectorCheck {
  const found: { message: string; line?: number }[] = [];
  for (const text of stderr.split("\n")) {
    const m = ERROR_LINE.exec(text);
    if (!m) continue;
    const line = m[2] ? Number(m[2]) - firstLine + 1 : undefined;
    found.push({
      message: m[1]!.replace(/ \(Unix shell quoting issues\?\)$/, ""),
      line: line && line >= 1 && line <= selectorLines ? line : undefined,
    });
  }
  if (found.length === 0) return { ok: false, message: stderr.trim() || "jq refused the selector" };
  return {
    ok: false,
    message: found.map((f) => f.message).join("; "),
    line: found.find((f) => f.line)?.line,
  };
}

async function compile(program: string): Promise<{ status: number; stderr: string }> {
  let jq = await checker();
  if (!jq.jqUsable()) {
    instance = undefined;
    jq = await checker();
  }
  jq.jqWriteFile(PROGRAM_FILE, program);
  jq.jqSetInput(new Uint8Array(0));
  deadline = performance.now() + COMPILE_DEADLINE_MS;
  try {
    const status = jq.jqMain(["-n", "-f", PROGRAM_FILE]);
    return { status, stderr: decode(jq.jqTakeOutput().stderr) };
  } catch (err) {
    instance = undefined;
    // jq folds constant expressions while compiling, so `"x" * 1e9` can exhaust the heap right here.
    const message = String((err as Error)?.message ?? err);
    return {
      status: -1,
      stderr: `jq: error: ${message.startsWith("Aborted(") ? "jq aborted while compiling (out of memory)" : message}`,
    };
  } finally {
    deadline = Infinity;
  }
}

/** Whether `source` compiles as a selector; a failure carries jq's message and, when known, its line. */
export async function checkSelector(source: string): Promise<SelectorCheck> {
  if (usesInternalName(source))
    return { ok: false, message: "names starting with $__lr_ are reserved" };
  if (compiledOk.has(source)) return { ok: true };
  const { alone, wrapped, firstLine } = checkPrograms(source);
  const first = await compile(alone);
  if (first.status !== 0)
    return parseCompileErrors(first.stderr, firstLine, source.split("\n").length);
  const second = await compile(wrapped);
  if (second.status !== 0) {
    // Compiles alone but not inside first(…): it ends inside a comment continued with a backslash, or similar.
    return {
      ok: false,
      message: `not a complete jq expression when wrapped: ${parseCompileErrors(second.stderr, firstLine, 0).message}`,
    };
  }
  if (compiledOk.size >= MAX_REMEMBERED) compiledOk.clear();
  compiledOk.add(source);
  return { ok: true };
}
