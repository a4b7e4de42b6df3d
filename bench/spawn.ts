import { spawn } from "bun";

export interface Child {
  pid: number;
  port: number;
  kill(): void;
}

/**
 * Starts `bun <args>` (or `<executable> <args>`) and resolves once a stdout line matches `ready`
 * (its first group is the port).
 */
export async function spawnServer(
  args: string[],
  ready: RegExp,
  timeoutMs = 15_000,
  executable = process.execPath,
): Promise<Child> {
  const proc = spawn([executable, ...args], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => proc.kill(), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`${args[0]} exited before it was ready:\n${text}`);
      text += decoder.decode(value, { stream: true });
      const m = ready.exec(text);
      if (m) {
        reader.releaseLock();
        // Keep draining stdout so the child never blocks on a full pipe.
        void proc.stdout.pipeTo(new WritableStream()).catch(() => {});
        return { pid: proc.pid, port: Number(m[1]), kill: () => proc.kill() };
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
