import type { ModelsRoute } from "./format";

/**
 * `{prefix}/models` (the listing) or `{prefix}/models/{id}` (one model) under one of `prefixes`;
 * "unknown" for an id that does not decode, undefined for another path.
 */
export function modelsRoute(
  path: string,
  prefixes: readonly string[],
): ModelsRoute | "unknown" | undefined {
  for (const prefix of prefixes) {
    if (!path.startsWith(prefix + "/models")) continue;
    const rest = path.slice(prefix.length + "/models".length);
    if (rest === "") return {};
    if (rest[0] !== "/") continue;
    const id = safeDecode(rest.slice(1));
    return id === undefined ? "unknown" : { id };
  }
  return undefined;
}

/** A malformed %-escape (`%ZZ`, a cut UTF-8 sequence) names nothing we serve: undefined, not a throw. */
export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
