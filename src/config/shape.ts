/** Defensive readers for a raw config document that may have failed schema validation. */

export type Mapping = Record<string, unknown>;

export function isMapping(v: unknown): v is Mapping {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function mapping(v: unknown): Mapping {
  return isMapping(v) ? v : {};
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
