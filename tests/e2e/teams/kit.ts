/**
 * Router processes for the key tests that need real processes: replicas sharing Redis, the
 * --workers supervisor, a restart that must keep spend. Each is `bun src/main.ts` with a config
 * file, on a free loopback port, stopped by the test that started it.
 */
import { startRouterProcess } from "../router-process";

export const ADMIN = "router-admin-token-0123456789";

export type { RouterProcess } from "../router-process";

/** A router process with the admin token, logging at info. */
export function startRouter(config: string, dir: string, extraArgs: string[] = []) {
  return startRouterProcess(config, dir, { token: ADMIN, args: extraArgs });
}

/** One chat request as `key`, on a connection of its own (so --workers spreads them). */
export async function ask(
  origin: string,
  key: string,
  group: string,
  fresh = false,
): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(`${origin}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(fresh ? { connection: "close" } : {}),
    },
    body: JSON.stringify({ model: group, messages: [{ role: "user", content: "hi" }] }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
}

export async function usageOf(origin: string, key: string): Promise<any> {
  const res = await fetch(`${origin}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200) throw new Error(`/v1/usage answered ${res.status}`);
  return res.json();
}
