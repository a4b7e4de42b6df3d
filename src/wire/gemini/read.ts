import { routerError, type RouterError } from "../../ir";

/**
 * Reading Gemini bodies. The API is proto-JSON, so every field may arrive in camelCase or
 * snake_case; all reads go through `field` so no spelling is ever missed. Type mismatches
 * raise a FieldError that the codec boundary turns into a 400 naming the field — the
 * decoders stay straight-line code instead of threading error values through every helper.
 */

export type Obj = Record<string, unknown>;

export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: ${expected}`);
  }
}

export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// Field names are a small fixed vocabulary read on every chunk: spell each one once.
const snakeCache = new Map<string, string>();
export const snake = (k: string) => {
  let s = snakeCache.get(k);
  if (s === undefined) snakeCache.set(k, (s = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
  return s;
};
export const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `name` is given in camelCase; the snake_case spelling is looked up too. */
export function field(o: Obj, name: string): unknown {
  const v = o[name];
  return v !== undefined ? v : o[snake(name)];
}

/** Keys of `o` not in `known` (compared in camelCase), for carrying unmapped fields along. */
export function otherKeys(o: Obj, known: readonly string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o))
    if (!known.includes(camel(k)) && v !== undefined) out[camel(k)] = v;
  return out;
}

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function obj(o: Obj, name: string, path: string): Obj | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new FieldError(at(path, name), "expected an object");
  return v;
}

export function arr(o: Obj, name: string, path: string): unknown[] | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new FieldError(at(path, name), "expected an array");
  return v;
}

export function str(o: Obj, name: string, path: string): string | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new FieldError(at(path, name), "expected a string");
  return v;
}

export function bool(o: Obj, name: string, path: string): boolean | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new FieldError(at(path, name), "expected a boolean");
  return v;
}

/** Proto-JSON numbers may be sent as numeric strings (int64 always is, by some encoders). */
export function num(o: Obj, name: string, path: string, integer = false): number | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new FieldError(at(path, name), integer ? "expected an integer" : "expected a number");
  return n;
}

export function strings(o: Obj, name: string, path: string): string[] | undefined {
  const list = arr(o, name, path);
  if (!list) return undefined;
  list.forEach((s, i) => {
    if (typeof s !== "string") throw new FieldError(`${at(path, name)}[${i}]`, "expected a string");
  });
  return list as string[];
}

/** Runs a decoder; bad input becomes a 400 RouterError, never an exception for the caller. */
export function guard<T>(run: () => T): T | RouterError {
  try {
    return run();
  } catch (e) {
    if (e instanceof FieldError) return routerError("invalid_request", e.message, { cause: e });
    throw e;
  }
}
