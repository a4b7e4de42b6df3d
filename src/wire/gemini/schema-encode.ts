import { setOwn } from "../lookup";
import { isObject, type Json } from "../read";
import type * as Gemini from "./api";
import { charge, chargeCopies, chargeNode, NODE_BYTES, SchemaBudget } from "./schema-budget";
import { mergeSchemas, resolveRef } from "./schema-inline";

/**
 * JSON Schema → Gemini `Schema` (the OpenAPI 3.0 subset behind `parameters` and
 * `responseSchema`). Gemini's proto parser rejects the whole request on the first keyword it
 * does not know, so this is a whitelist: each kept keyword is rebuilt, anything else is left
 * out (protocols.md §2.5). Property *names* are never touched.
 */

const STRING_FORMATS = ["enum", "date-time"];
const NUMBER_FORMATS = ["float", "double"];
const INTEGER_FORMATS = ["int32", "int64"];
const COUNTS = [
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
] as const;
/** Deeper than any real tool schema; stops a hostile or cyclic structure from exhausting the stack. */
const MAX_DEPTH = 48;

interface Scope {
  root: Json;
  /** $refs being expanded on the current path: a repeat means recursion. */
  refs: string[];
  depth: number;
  budget: SchemaBudget;
}

/** For `functionDeclarations[].parameters`; undefined means "send no parameters" (no-argument tool). */
export function encodeParameters(
  schema: unknown,
  budget = new SchemaBudget(),
): Gemini.Schema | undefined {
  const out = encodeSchema(schema, budget);
  const objectLike = out.type === "object" || out.type === undefined;
  // Gemini rejects an OBJECT root with empty properties ("should be non-empty for OBJECT type").
  if (
    objectLike &&
    !out.anyOf &&
    (!isObject(out.properties) || Object.keys(out.properties).length === 0)
  )
    return undefined;
  return out;
}

/** Throws SchemaError when the request's `budget` runs out or a $ref cannot be read. */
export function encodeSchema(schema: unknown, budget = new SchemaBudget()): Gemini.Schema {
  const root = isObject(schema) ? schema : {};
  return convert(root, { root, refs: [], depth: 0, budget });
}

/**
 * `partial` marks an allOf member or $ref sibling: its `required` may name properties that
 * another member declares, so filtering waits until the members are merged.
 */
function convert(node: unknown, scope: Scope, partial = false): Gemini.Schema {
  if (!isObject(node) || scope.depth > MAX_DEPTH) return {};
  chargeNode(scope.budget);
  const inner: Scope = { ...scope, depth: scope.depth + 1 };
  if (typeof node.$ref === "string") return finish(convertRef(node, node.$ref, inner), partial);
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    const { allOf, ...rest } = node;
    return finish(
      mergeSchemas([...allOf.map((m) => convert(m, inner, true)), convertPlain(rest, inner)]),
      partial,
    );
  }
  return finish(convertPlain(node, inner), partial);
}

function finish(out: Gemini.Schema, partial: boolean): Gemini.Schema {
  if (partial) return out;
  // Checked on the merged result: allOf members and $ref siblings may disagree on the type.
  if (typeof out.format === "string" && !formatsFor(out.type).includes(out.format))
    delete out.format;
  if (Array.isArray(out.required)) {
    const names = isObject(out.properties) ? out.properties : {};
    // Own properties only: `in` would also accept "constructor" or "__proto__" from Object.prototype.
    const required = out.required.filter((r) => typeof r === "string" && Object.hasOwn(names, r));
    if (required.length > 0) out.required = [...new Set(required)];
    else delete out.required;
  }
  if (out.type === undefined && isObject(out.properties)) out.type = "object";
  return out;
}

/** $ref is inlined; a ref already being expanded on this path becomes a plain object (recursion). */
function convertRef(node: Json, ref: string, scope: Scope): Gemini.Schema {
  const { $ref: _, ...siblings } = node;
  const target = resolveRef(scope.root, ref);
  let base: Gemini.Schema;
  if (target === undefined || scope.refs.includes(ref)) {
    base = { type: "object" };
    const description =
      isObject(target) && typeof target.description === "string" ? target.description : undefined;
    if (description) base.description = description;
    charge(scope.budget, NODE_BYTES + (description?.length ?? 0));
  } else {
    base = convert(target, { ...scope, refs: [...scope.refs, ref] }, true);
  }
  return mergeSchemas([base, convertPlain(siblings, scope)]);
}

function convertPlain(node: Json, scope: Scope): Gemini.Schema {
  chargeCopies(node, scope.budget);
  const out: Gemini.Schema = {};
  const rawTypes =
    typeof node.type === "string"
      ? [node.type]
      : Array.isArray(node.type)
        ? node.type.filter((t) => typeof t === "string")
        : [];
  const types = rawTypes.map((t) => (t as string).toLowerCase());
  let nullable = node.nullable === true || types.includes("null");
  const nonNull = types.filter((t) => t !== "null");

  // Union members: explicit anyOf/oneOf, else several types from a type array.
  const variants = Array.isArray(node.anyOf)
    ? node.anyOf
    : Array.isArray(node.oneOf)
      ? node.oneOf
      : undefined;
  let members = variants ? variants.map((m) => convert(m, scope)) : [];
  if (members.some(isNullOnly)) {
    nullable = true;
    members = members.filter((m) => !isNullOnly(m));
  }
  if (nonNull.length === 1) out.type = nonNull[0];
  if (members.length === 0 && nonNull.length > 1) members = nonNull.map((t) => ({ type: t }));
  if (members.length === 1 && out.type === undefined) Object.assign(out, members[0]);
  else if (members.length > 0) out.anyOf = members;
  if (types.length > 0 && nonNull.length === 0 && members.length === 0) out.type = "null";
  else if (nullable) out.nullable = true;

  for (const k of ["title", "description", "pattern"] as const)
    if (typeof node[k] === "string") out[k] = node[k];
  for (const k of ["default", "example"] as const) if (node[k] !== undefined) out[k] = node[k];
  if (
    Array.isArray(node.propertyOrdering) &&
    node.propertyOrdering.every((p) => typeof p === "string")
  )
    out.propertyOrdering = node.propertyOrdering;
  for (const k of COUNTS) if (isCount(node[k])) out[k] = node[k];
  bounds(node, out);
  enumeration(node, out);
  if (typeof node.format === "string") out.format = node.format;

  if (isObject(node.properties)) {
    const props: Record<string, Gemini.Schema> = {};
    // Defined, not assigned: a property named "__proto__" would otherwise set the prototype and vanish.
    for (const [name, s] of Object.entries(node.properties)) setOwn(props, name, convert(s, scope));
    out.properties = props;
  }
  // Filtered to declared properties later, in finish().
  if (Array.isArray(node.required))
    out.required = node.required.filter((r) => typeof r === "string");
  items(node, out, scope);
  return out;
}

const isNullOnly = (s: Json) =>
  s.type === "null" && Object.keys(s).every((k) => k === "type" || k === "description");
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Exclusive bounds become inclusive ones (integers step by one), keeping the stricter bound. */
function bounds(node: Json, out: Gemini.Schema): void {
  if (isNum(node.minimum)) out.minimum = node.minimum;
  if (isNum(node.maximum)) out.maximum = node.maximum;
  const integer = out.type === "integer";
  if (isNum(node.exclusiveMinimum)) {
    const n = node.exclusiveMinimum;
    const min = integer ? (Number.isInteger(n) ? n + 1 : Math.ceil(n)) : n;
    out.minimum = isNum(out.minimum) ? Math.max(out.minimum, min) : min;
  }
  if (isNum(node.exclusiveMaximum)) {
    const n = node.exclusiveMaximum;
    const max = integer ? (Number.isInteger(n) ? n - 1 : Math.floor(n)) : n;
    out.maximum = isNum(out.maximum) ? Math.min(out.maximum, max) : max;
  }
}

/**
 * Gemini enums are lists of strings on STRING schemas. `const` is a one-value enum. Non-string
 * values would change the argument's type if stringified, so they move into the description,
 * where the model still sees them.
 */
function enumeration(node: Json, out: Gemini.Schema): void {
  const values = "const" in node ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
  if (!values) return;
  if (values.includes(null)) {
    if (out.type !== "null") out.nullable = true;
  }
  const rest = values.filter((v) => v !== null);
  if (rest.length === 0) return;
  if (rest.every((v) => typeof v === "string")) {
    out.enum = rest;
    if (out.type === undefined && !out.anyOf) out.type = "string";
    return;
  }
  const allowed = `Allowed values: ${rest.map((v) => JSON.stringify(v)).join(", ")}.`;
  out.description =
    typeof out.description === "string" && out.description
      ? `${out.description} ${allowed}`
      : allowed;
}

const formatsFor = (type: unknown) =>
  type === "string"
    ? STRING_FORMATS
    : type === "number"
      ? NUMBER_FORMATS
      : type === "integer"
        ? INTEGER_FORMATS
        : [];

/** Tuples (items as a list, or prefixItems) become a union of their member schemas. */
function items(node: Json, out: Gemini.Schema, scope: Scope): void {
  const list = Array.isArray(node.items)
    ? node.items
    : Array.isArray(node.prefixItems)
      ? node.prefixItems
      : undefined;
  if (isObject(node.items) || node.items === true) out.items = convert(node.items, scope);
  else if (list && list.length > 0) {
    const members = list.map((m) => convert(m, scope));
    out.items = members.length === 1 ? members[0] : { anyOf: members };
  }
  // An ARRAY without items is refused ("items: missing field"); an unconstrained item schema is not.
  if (out.type === "array" && out.items === undefined) out.items = {};
}
