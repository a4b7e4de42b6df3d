import { routerError, type ErrorCode, type RouterError } from "../../ir";
import type { NameRule } from "../codec";
import { fit } from "../names";

/**
 * JSON field access for the Anthropic codecs. Deep checks throw a private Rejection that the
 * codec's entry point turns back into a RouterError value, so each field check stays one line
 * and no exception ever leaves the codec.
 */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

class Rejection {
  constructor(readonly error: RouterError) {}
}

export function reject(error: RouterError): never {
  throw new Rejection(error);
}

/** A field of the wrong shape: a 400 naming the field when decoding a client's body. */
export function bad(path: string, problem: string): never {
  throw new Rejection(routerError("invalid_request", `${path}: ${problem}`));
}

/** Runs a codec step; a Rejection becomes its error value, with `code` replacing invalid_request when given. */
export function guard<T>(fn: () => T, code?: ErrorCode, prefix = ""): T | RouterError {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof Rejection)) throw e;
    if (!code || e.error.code !== "invalid_request") return e.error;
    return routerError(code, prefix + e.error.message);
  }
}

export function obj(v: unknown, path: string): Json {
  return isObject(v) ? v : bad(path, "expected an object");
}

export function str(v: unknown, path: string): string {
  return typeof v === "string" ? v : bad(path, "expected a string");
}

export function list(v: unknown, path: string): unknown[] {
  return Array.isArray(v) ? v : bad(path, "expected an array");
}

export function optStr(v: unknown, path: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path);
}

export function optNum(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : bad(path, "expected a number");
}

export function optInt(v: unknown, path: string): number | undefined {
  const n = optNum(v, path);
  return n === undefined || Number.isInteger(n) ? n : bad(path, "expected an integer");
}

export function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "boolean" ? v : bad(path, "expected a boolean");
}

/**
 * tool_use ids: ^[a-zA-Z0-9_-]+$, kept to 64 so OpenAI-side limits never bite. Ids an upstream
 * of another format invented (Gemini `fc.1/a+b==`, Kimi `functions.x:0`) are made to fit before
 * an Anthropic client sees them; the same id then comes back in the result and pairs upstream.
 */
export const TOOL_ID_RULE: NameRule = { allowed: /[a-zA-Z0-9_-]/, max: 64 };

export const clientToolId = (id: string): string => fit(id, TOOL_ID_RULE);
