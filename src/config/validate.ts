/**
 * Schema-driven checks: TypeBox errors rephrased for people, and unknown-key detection.
 *
 * Both work on JSON pointers; the caller maps pointers to YAML positions.
 */
import type { TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { escape, segments } from "./positions";

export interface SchemaProblem {
  pointer: string;
  message: string;
  /** True when the problem is a key that should exist: the pointer then names the enclosing mapping. */
  missing?: boolean;
  /** The missing key, unescaped. */
  key?: string;
}

export interface UnknownKey {
  pointer: string;
  key: string;
  suggestion?: string;
}

/** A loose view of the JSON Schema keywords we inspect; TypeBox schemas are plain JSON Schema objects. */
interface SchemaShape {
  type?: string;
  const?: unknown;
  anyOf?: SchemaShape[];
  properties?: Record<string, SchemaShape>;
  items?: SchemaShape;
  minimum?: number;
  pattern?: string;
  errorMessage?: string;
  patternErrorMessage?: string;
}

/**
 * `shownAs` names what a message shows instead of the value at a pointer: the `${VAR}` a value
 * came from (it is often a key, and must never be printed).
 */
export function schemaProblems(
  schema: TSchema,
  value: unknown,
  shownAs: (pointer: string) => string | undefined = () => undefined,
): SchemaProblem[] {
  return [...rephrase(Value.Errors(schema, value), shownAs)];
}

function* rephrase(
  errors: Iterable<ValueError>,
  shownAs: (pointer: string) => string | undefined,
): Generator<SchemaProblem> {
  for (const e of errors) {
    const s = e.schema as SchemaShape;
    if (e.type === ValueErrorType.Union && !s.errorMessage) {
      // TypeBox only says "Expected union value"; when the value's kind selects one variant, that
      // variant's own errors are far more precise (e.g. the one bad header inside a mapping).
      const i = matchingVariant(s.anyOf ?? [], e.value);
      if (i >= 0 && e.errors[i]) {
        yield* rephrase(e.errors[i], shownAs);
        continue;
      }
    }
    // `undefined` is never a YAML value: it is either a missing required key (which TypeBox also
    // checks against the key's schema, repeating the error) or a failed interpolation, already reported.
    if (e.value === undefined && e.type !== ValueErrorType.ObjectRequiredProperty) continue;
    if (e.type === ValueErrorType.ObjectRequiredProperty) {
      const segs = segments(e.path);
      const key = segs.pop() ?? "";
      const parent = segs.map((x) => "/" + escape(x)).join("");
      yield { pointer: parent, message: `missing required key "${key}"`, missing: true, key };
      continue;
    }
    yield { pointer: e.path, message: messageFor(e, s, shownAs(e.path)) };
  }
}

function messageFor(e: ValueError, s: SchemaShape, shown: string | undefined): string {
  if (s.errorMessage) return s.errorMessage;
  const got = shown ?? describeValue(e.value);
  switch (e.type) {
    case ValueErrorType.Object:
      return `expected a mapping, got ${got}`;
    case ValueErrorType.Array:
      return `expected a list, got ${got}`;
    case ValueErrorType.ArrayMinItems:
      return "must not be empty";
    case ValueErrorType.String:
      return `expected a string, got ${got}`;
    case ValueErrorType.StringMinLength:
      return "must not be an empty string";
    case ValueErrorType.StringPattern:
      return `${s.patternErrorMessage ?? `must match the pattern ${s.pattern}`}, got ${got}`;
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
      return `expected a ${s.minimum === 0 ? "non-negative " : s.minimum === 1 ? "positive " : ""}integer, got ${got}`;
    case ValueErrorType.Union: {
      const variants = s.anyOf ?? [];
      if (variants.length > 0 && variants.every((v) => v.const !== undefined)) {
        const key = segments(e.path).pop() ?? "value";
        const valid = variants.map((v) => String(v.const)).join(", ");
        return `unknown ${key} ${shown ?? (typeof e.value === "string" ? JSON.stringify(e.value) : got)}; expected one of: ${valid}`;
      }
      return `expected ${variants.map(describeSchema).join(" or ")}, got ${got}`;
    }
    default:
      return e.message;
  }
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const shown = value.length > 40 ? value.slice(0, 37) + "..." : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  return `${typeof value === "number" ? "the number " : ""}${String(value)}`;
}

function describeSchema(s: SchemaShape): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  switch (s.type) {
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "null":
      return "null";
    default:
      return "a value";
  }
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return "number";
  return typeof value;
}

function matchingVariant(variants: SchemaShape[], value: unknown): number {
  const kind = kindOf(value);
  return variants.findIndex((v) => {
    if (v.const !== undefined) return false;
    const type = v.type === "integer" ? "number" : v.type;
    return type === kind;
  });
}

/** Keys the schema does not know, found by walking schema and data together. */
export function unknownKeys(schema: TSchema, value: unknown): UnknownKey[] {
  const found: UnknownKey[] = [];
  const visit = (s: SchemaShape, v: unknown, pointer: string): void => {
    if (s.anyOf) {
      const i = matchingVariant(s.anyOf, v);
      if (i >= 0) visit(s.anyOf[i]!, v, pointer);
    } else if (s.type === "array" && s.items && Array.isArray(v)) {
      v.forEach((item, i) => visit(s.items!, item, `${pointer}/${i}`));
    } else if (
      s.type === "object" &&
      s.properties &&
      v !== null &&
      typeof v === "object" &&
      !Array.isArray(v)
    ) {
      const known = Object.keys(s.properties);
      for (const [key, child] of Object.entries(v)) {
        const at = `${pointer}/${escape(key)}`;
        const sub = s.properties[key];
        if (sub) visit(sub, child, at);
        else found.push({ pointer: at, key, suggestion: closest(key, known) });
      }
    }
  };
  visit(schema as SchemaShape, value, "");
  return found;
}

/** The candidate nearest to `word` by edit distance, if it is near enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}
