import { routerError, type RouterError } from "../../ir/error";

/**
 * Field readers for untrusted JSON. A wrong type aborts the whole decode with a 400 that names
 * the field; the abort is an internal exception caught by `guard`, so the codec's callers only
 * ever see a returned RouterError (codecs never throw at their boundary).
 */

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

class Invalid extends Error {
  constructor(readonly error: RouterError) {
    super(error.message);
  }
}

export function fail(path: string, expected: string): never {
  throw new Invalid(routerError("invalid_request", `${path}: ${expected}`));
}

/** For input that is well-formed but cannot be converted without changing its meaning. */
export function refuse(message: string): never {
  throw new Invalid(routerError("invalid_request", message));
}

export function guard<T>(run: () => T): T | RouterError {
  try {
    return run();
  } catch (e) {
    if (e instanceof Invalid) return e.error;
    // A bug on an odd input must still come back as a value, never as a thrown request handler.
    return routerError("internal", "openai codec failed on this input", { cause: e });
  }
}

export const at = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

const absent = (v: unknown) => v === undefined || v === null;

export function optString(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (absent(v)) return undefined;
  if (typeof v !== "string") fail(at(path, key), "expected a string");
  return v;
}

export function reqString(o: Obj, key: string, path: string): string {
  const v = optString(o, key, path);
  if (v === undefined) fail(at(path, key), "field required");
  return v;
}

export function optNumber(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (absent(v)) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) fail(at(path, key), "expected a number");
  return v;
}

export function optInt(o: Obj, key: string, path: string, min: number): number | undefined {
  const v = optNumber(o, key, path);
  if (v !== undefined && (!Number.isInteger(v) || v < min))
    fail(at(path, key), `expected an integer ≥ ${min}`);
  return v;
}

export function optBool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (absent(v)) return undefined;
  if (typeof v !== "boolean") fail(at(path, key), "expected a boolean");
  return v;
}

export function optArray(o: Obj, key: string, path: string): unknown[] | undefined {
  const v = o[key];
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) fail(at(path, key), "expected an array");
  return v;
}

export function optObj(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (absent(v)) return undefined;
  if (!isObj(v)) fail(at(path, key), "expected an object");
  return v;
}

export function asObj(v: unknown, path: string): Obj {
  if (!isObj(v)) fail(path, "expected an object");
  return v;
}

/** Lenient reads for upstream answers, where a missing or odd field means "not given". */
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
export const obj = (v: unknown): Obj => (isObj(v) ? v : {});
