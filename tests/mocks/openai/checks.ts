// The OpenAI API's validation messages, shared by the Chat Completions and Responses mocks: the
// same server answers both with the same wording, `param` paths and `code` values.
import { Invalid, isInt, isObject } from "../util.ts";

export const fail = (
  message: string,
  param: string | null = null,
  code: string | null = null,
): never => {
  throw new Invalid(message, { param, code });
};

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a decimal number";
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "a boolean";
  return "an object";
}

type Kind = "string" | "integer" | "number" | "boolean" | "object" | "array";
const ARTICLE: Record<Kind, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
  object: "an object",
  array: "an array",
};
export function want(v: unknown, kind: Kind, path: string): void {
  const ok =
    kind === "string"
      ? typeof v === "string"
      : kind === "integer"
        ? isInt(v)
        : kind === "number"
          ? typeof v === "number"
          : kind === "boolean"
            ? typeof v === "boolean"
            : kind === "object"
              ? isObject(v)
              : Array.isArray(v);
  if (!ok)
    fail(
      `Invalid type for '${path}': expected ${ARTICLE[kind]}, but got ${typeName(v)} instead.`,
      path,
      "invalid_type",
    );
}

export function range(v: unknown, path: string, min: number, max: number, integer: boolean): void {
  if (v === undefined || v === null) return;
  want(v, integer ? "integer" : "number", path);
  const n = v as number;
  const what = integer ? "integer" : "decimal";
  if (n < min)
    fail(
      `Invalid '${path}': ${what} below minimum value. Expected a value >= ${min}, but got ${n} instead.`,
      path,
      `${what}_below_min_value`,
    );
  if (n > max)
    fail(
      `Invalid '${path}': ${what} above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
      path,
      `${what}_above_max_value`,
    );
}

export function oneOf(v: unknown, allowed: string[], path: string): void {
  if (typeof v === "string" && allowed.includes(v)) return;
  const list = allowed.map((a) => `'${a}'`);
  // "'output_text' and 'refusal'" for two, "'a', 'b', and 'c'" for more, as the API writes them.
  const text =
    list.length > 2 ? `${list.slice(0, -1).join(", ")}, and ${list.at(-1)}` : list.join(" and ");
  fail(`Invalid value: '${String(v)}'. Supported values are: ${text}.`, path, "invalid_value");
}
