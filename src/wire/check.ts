import { routerError, type RouterError } from "../ir/error";

/** Field checks shared by the formats' peekRequest: each returns an error value, never throws. */

export function requireString(body: Record<string, unknown>, key: string): RouterError | undefined {
  const v = body[key];
  if (v === undefined) return routerError("invalid_request", `${key}: field required`);
  if (typeof v !== "string" || v === "")
    return routerError("invalid_request", `${key}: expected a non-empty string`);
}

export function requireArray(
  body: Record<string, unknown>,
  key: string,
  nonEmpty = true,
): RouterError | undefined {
  const v = body[key];
  if (v === undefined) return routerError("invalid_request", `${key}: field required`);
  if (!Array.isArray(v)) return routerError("invalid_request", `${key}: expected an array`);
  if (nonEmpty && v.length === 0)
    return routerError("invalid_request", `${key}: must not be empty`);
}

export function optionalBoolean(
  body: Record<string, unknown>,
  key: string,
): RouterError | undefined {
  const v = body[key];
  if (v !== undefined && v !== null && typeof v !== "boolean")
    return routerError("invalid_request", `${key}: expected a boolean`);
}

export function requirePositiveInt(
  body: Record<string, unknown>,
  key: string,
): RouterError | undefined {
  const v = body[key];
  if (v === undefined) return routerError("invalid_request", `${key}: field required`);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
    return routerError("invalid_request", `${key}: expected a positive integer`);
}

export function firstError(...checks: (RouterError | undefined)[]): RouterError | undefined {
  return checks.find((c) => c !== undefined);
}
