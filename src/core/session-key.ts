import type { RoutedCall } from "../attempt";

export interface SessionKey {
  key: string;
  source: string;
}

/** Placeholder until the session key finder lands. */
export function findSessionKey(
  call: RoutedCall,
  extraHeaders: readonly string[],
): SessionKey | undefined {
  for (const name of [...extraHeaders, "x-claude-code-session-id"]) {
    const v = call.headers.get(name);
    if (v) return { key: v, source: `header:${name}` };
  }
  return undefined;
}
