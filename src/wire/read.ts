import { routerError, type ErrorCode, type RouterError } from "../ir/error";

/**
 * Reading untrusted JSON, for every format folder: one object type, one throwable, one `guard`.
 *
 * Decoders stay straight-line code: a field of the wrong type throws a WireInputError naming the
 * field by its path (`messages[2].content`), and the codec's entry point, wrapped in `guard`, turns
 * it back into a RouterError value. Nothing thrown here ever leaves a codec.
 *
 * Strict readers (`opt*`, `req*`, `as*`) are for clients' bodies: a wrong type is a 400. Loose
 * readers (`loose*`) are for upstream answers, where a missing or odd field means "not given".
 * Absent and `null` are the same everywhere: JSON clients write either for "not set".
 */

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The one exception codecs throw inside themselves; `guard` turns it into its error value. */
class WireInputError extends Error {
  constructor(readonly error: RouterError) {
    super(error.message);
  }
}

/** Stops the decode or encode with this error (a request that cannot be converted faithfully). */
export function reject(error: RouterError): never {
  throw new WireInputError(error);
}

/** A field of the wrong shape: a 400 naming the field. */
export function bad(path: string, problem: string): never {
  throw new WireInputError(routerError("invalid_request", `${path}: ${problem}`));
}

export interface GuardOptions {
  /** Replaces `invalid_request` (a decoder reading an upstream answer reports `bad_gateway`). */
  code?: ErrorCode;
  /** Put before the message of a replaced error ("upstream answer: "). */
  prefix?: string;
  /** Names the codec in the error a bug becomes. */
  codec?: string;
}

/**
 * Runs a codec step and returns its value or its error. A bug on an odd input (a foreign
 * exception) becomes an `internal` error carrying the exception as its cause, for the log: never
 * a thrown request handler. Stack exhaustion is the one exception let through: the request's
 * nesting caused it, and the handler answers it as the client's fault.
 */
export function guard<T>(run: () => T, opts: GuardOptions = {}): T | RouterError {
  try {
    return run();
  } catch (e) {
    if (e instanceof WireInputError) {
      const { code, prefix = "" } = opts;
      if (!code || e.error.code !== "invalid_request") return e.error;
      return routerError(code, prefix + e.error.message, { cause: e.error });
    }
    if (e instanceof RangeError) throw e;
    const name = opts.codec ? `${opts.codec} codec` : "codec";
    return routerError("internal", `${name} failed on this input`, { cause: e });
  }
}

/** The path of `key` inside `path`, as messages show it: `a.b`, `a[3]`. */
export const at = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

// Values, for array elements and values already taken out of their object.

export function asObject(v: unknown, path: string): Json {
  return isObject(v) ? v : bad(path, "expected an object");
}

export function asString(v: unknown, path: string): string {
  return typeof v === "string" ? v : bad(path, "expected a string");
}

export function asArray(v: unknown, path: string): unknown[] {
  return Array.isArray(v) ? v : bad(path, "expected an array");
}

/** Where a format looks a field up: as written, or (Gemini's proto-JSON) in both spellings. */
export type Lookup = (o: Json, key: string) => unknown;

const plain: Lookup = (o, key) => o[key];

/** The field readers of one spelling. Every format uses `fields`; Gemini makes its own with `readers`. */
export interface FieldReaders {
  optString(o: Json, key: string, path: string): string | undefined;
  reqString(o: Json, key: string, path: string): string;
  optNumber(o: Json, key: string, path: string): number | undefined;
  /** An integer of at least `min` (when given). */
  optInt(o: Json, key: string, path: string, min?: number): number | undefined;
  optBool(o: Json, key: string, path: string): boolean | undefined;
  optArray(o: Json, key: string, path: string): unknown[] | undefined;
  optObject(o: Json, key: string, path: string): Json | undefined;
  /** An array of strings. */
  optStrings(o: Json, key: string, path: string): string[] | undefined;
}

export interface ReaderOptions {
  /** Numbers may arrive as numeric strings (proto-JSON writes int64 that way). */
  numericStrings?: boolean;
}

export function readers(lookup: Lookup = plain, options: ReaderOptions = {}): FieldReaders {
  const toNumber = (v: unknown): number =>
    typeof v === "number"
      ? v
      : options.numericStrings && typeof v === "string" && v.trim() !== ""
        ? Number(v)
        : NaN;
  const r: FieldReaders = {
    optString(o, key, path) {
      const v = lookup(o, key);
      if (absent(v)) return undefined;
      return typeof v === "string" ? v : bad(at(path, key), "expected a string");
    },
    reqString(o, key, path) {
      return r.optString(o, key, path) ?? bad(at(path, key), "field required");
    },
    optNumber(o, key, path) {
      const v = lookup(o, key);
      if (absent(v)) return undefined;
      const n = toNumber(v);
      return Number.isFinite(n) ? n : bad(at(path, key), "expected a number");
    },
    optInt(o, key, path, min) {
      const n = r.optNumber(o, key, path);
      if (n === undefined) return undefined;
      if (min === undefined)
        return Number.isInteger(n) ? n : bad(at(path, key), "expected an integer");
      return Number.isInteger(n) && n >= min
        ? n
        : bad(at(path, key), `expected an integer ≥ ${min}`);
    },
    optBool(o, key, path) {
      const v = lookup(o, key);
      if (absent(v)) return undefined;
      return typeof v === "boolean" ? v : bad(at(path, key), "expected a boolean");
    },
    optArray(o, key, path) {
      const v = lookup(o, key);
      if (absent(v)) return undefined;
      return Array.isArray(v) ? v : bad(at(path, key), "expected an array");
    },
    optObject(o, key, path) {
      const v = lookup(o, key);
      if (absent(v)) return undefined;
      return isObject(v) ? v : bad(at(path, key), "expected an object");
    },
    optStrings(o, key, path) {
      const list = r.optArray(o, key, path);
      list?.forEach(
        (s, i) => typeof s === "string" || bad(at(at(path, key), i), "expected a string"),
      );
      return list as string[] | undefined;
    },
  };
  return r;
}

/** The field readers for formats that spell each field one way. */
export const fields: FieldReaders = readers();

// Loose reads of upstream answers: the wrong type is "not given".

export const looseString = (v: unknown): string | undefined =>
  typeof v === "string" ? v : undefined;

export const looseNumber = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;

export const looseObject = (v: unknown): Json => (isObject(v) ? v : {});

/**
 * The checks a format's peekRequest makes before routing (only what routing needs: the group,
 * the stream flag, the one field no request can lack). Run inside `guard`.
 */
export const peekFields = {
  /** A non-empty string. */
  name(o: Json, key: string): string {
    const v = o[key];
    if (v === undefined) bad(key, "field required");
    return typeof v === "string" && v !== "" ? v : bad(key, "expected a non-empty string");
  },
  list(o: Json, key: string, nonEmpty = true): unknown[] {
    const v = o[key];
    if (v === undefined) bad(key, "field required");
    if (!Array.isArray(v)) bad(key, "expected an array");
    return nonEmpty && v.length === 0 ? bad(key, "must not be empty") : v;
  },
  flag(o: Json, key: string): boolean {
    return fields.optBool(o, key, "") ?? false;
  },
  positiveInt(o: Json, key: string): number {
    const v = o[key];
    if (v === undefined) bad(key, "field required");
    return typeof v === "number" && Number.isInteger(v) && v >= 1
      ? v
      : bad(key, "expected a positive integer");
  },
};
