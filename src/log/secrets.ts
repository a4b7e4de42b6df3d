/**
 * Everything the logger must treat as secret: each configured api_key, the router token and any
 * extra (a proxy password). Typed by shape so the log module does not depend on the config module;
 * call it at startup and again on every reload.
 */
export function configSecrets(config: { models: Iterable<[string, { apiKey?: string }]> }, ...extra: (string | undefined)[]): string[] {
  const out = new Set<string>();
  for (const [, model] of config.models) if (model.apiKey) out.add(model.apiKey);
  for (const s of extra) if (s) out.add(s);
  return [...out];
}
