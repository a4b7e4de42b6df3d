import { readers, type Json } from "../read";

/**
 * Gemini's API is proto-JSON: every field may arrive in camelCase or snake_case, and int64
 * numbers as numeric strings. This folder names fields in camelCase and reads them through
 * `field`, which looks up the snake_case spelling too, so no spelling is ever missed.
 */

// Field names are a small fixed vocabulary read on every chunk: spell each one once.
const snakeCache = new Map<string, string>();
const snake = (k: string) => {
  let s = snakeCache.get(k);
  if (s === undefined) snakeCache.set(k, (s = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
  return s;
};
const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `name` is given in camelCase; the snake_case spelling is looked up too. */
export function field(o: Json, name: string): unknown {
  const v = o[name];
  return v !== undefined ? v : o[snake(name)];
}

/** Keys of `o` not in `known` (compared in camelCase), for carrying unmapped fields along. */
export function otherKeys(o: Json, known: readonly string[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o))
    if (!known.includes(camel(k)) && v !== undefined) out[camel(k)] = v;
  return out;
}

/** The strict field readers (see ../read.ts) in either spelling, numbers also as numeric strings. */
export const { optString, optNumber, optInt, optBool, optArray, optObject, optStrings } = readers(
  field,
  { numericStrings: true },
);
