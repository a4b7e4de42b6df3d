/**
 * Loads the jq engine built by scripts/build-jq.ts (the postinstall): the patched Emscripten glue and the
 * fuel-instrumented wasm. The wasm is a file asset, so `bun build --compile` embeds it in the executable.
 */
import wasmPath from "./build/jq-fuel.wasm" with { type: "file" };
import factory from "./build/jq-glue.cjs";

/** What our build of the glue adds to the Emscripten module (see IO_BLOCK in scripts/build-jq.ts). */
export interface JqModule {
  /** Runs jq's main(); throws when the run was interrupted (a hook threw), trapped or aborted. */
  jqMain(args: string[]): number;
  jqSetInput(bytes: Uint8Array): void;
  jqWriteFile(path: string, data: string): void;
  /** Returns and clears what jq wrote since the last call (stderr is capped at 64 KiB). */
  jqTakeOutput(): { stdout: Uint8Array; stderr: Uint8Array };
  /** False after any interruption, trap or abort: the instance must then be replaced. */
  jqUsable(): boolean;
  jqMemoryBytes(): number;
}

export interface JqHooks {
  /** Called when stdin is drained; may block and return the next input, or null for end of input. */
  onStdinEmpty?: () => Uint8Array | null;
  /** Called with each chunk jq writes to stdout (a view that is only valid during the call). */
  onStdout?: (bytes: Uint8Array) => void;
  /** Called every 2^18 loop iterations inside jq; throwing from it interrupts jq. */
  onTick?: () => void;
  /** Emscripten's own diagnostics (e.g. "Aborted(OOM)"). */
  onPrintErr?: (message: string) => void;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the wasm once per thread that asks; workers receive the compiled module instead. */
export function loadJqModule(): Promise<WebAssembly.Module> {
  // A plain `bun build --outdir` bundle gives the asset's path relative to the bundle, not the cwd.
  compiled ??= Bun.file(wasmPath.startsWith(".") ? new URL(wasmPath, import.meta.url) : wasmPath)
    .arrayBuffer()
    .then((bytes) => WebAssembly.compile(bytes))
    .catch((err: unknown) => {
      compiled = undefined;
      throw new Error(
        `jq engine unavailable (${wasmPath}): ${(err as Error).message}; run \`bun scripts/build-jq.ts\``,
      );
    });
  return compiled;
}

export async function createJq(
  wasmModule: WebAssembly.Module,
  hooks: JqHooks = {},
): Promise<JqModule> {
  return (await factory({ wasmModule, ...hooks })) as JqModule;
}

const decoder = new TextDecoder();
export const decode = (bytes: Uint8Array): string => decoder.decode(bytes);
