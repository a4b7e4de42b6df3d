import { setOwn } from "../lookup";
import { isObject, type Json } from "../read";
import type * as Gemini from "./api";
import { SchemaError } from "./schema-budget";

/**
 * What inlining `$ref`s and `allOf` members takes: finding a reference's target by its JSON
 * pointer, and merging the pieces into one schema.
 */

/** The target of a local `$ref` (`#`, `#/$defs/x`), or undefined when there is none. */
export function resolveRef(root: Json, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  // Every segment is read first: a bad escape is refused whether or not the walk gets that far.
  const keys = ref
    .slice(2)
    .split("/")
    .map((raw) => pointerKey(raw, ref));
  let cur: unknown = root;
  for (const key of keys) {
    // Own members only: "#/__proto__" or "#/constructor" must not walk into Object.prototype.
    if ((!isObject(cur) && !Array.isArray(cur)) || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** One JSON-pointer segment of a URI fragment: %-escapes first, then ~1 and ~0 (RFC 6901 §6). */
function pointerKey(raw: string, ref: string): string {
  let key = raw;
  if (raw.includes("%")) {
    try {
      key = decodeURIComponent(raw);
    } catch {
      throw new SchemaError(
        `$ref ${JSON.stringify(ref.slice(0, 100))} is not a valid JSON pointer (bad %-escape)`,
      );
    }
  }
  return key.replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * allOf members and $ref siblings: later members win on scalars, properties and required add up.
 * Added up in one object and one set, not copied per member (n members would cost n²). Keys
 * are copied untyped, whatever they are: every piece is a Gemini Schema already.
 */
export function mergeSchemas(parts: Gemini.Schema[]): Gemini.Schema {
  const out: Json = {};
  let properties: Json | undefined;
  let required: Set<unknown> | undefined;
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === "properties" && isObject(out.properties) && isObject(v)) {
        properties ??= out.properties = defineAll({}, out.properties);
        defineAll(properties, v);
      } else if (k === "required" && Array.isArray(out.required) && Array.isArray(v)) {
        required ??= new Set(out.required);
        for (const r of v) required.add(r);
      } else {
        out[k] = v;
        if (k === "properties") properties = undefined;
        if (k === "required") required = undefined;
      }
    }
  }
  if (required) out.required = [...required];
  return out;
}

/** Copies own members by definition, so a property named "__proto__" stays a property. */
function defineAll(target: Json, source: Json): Json {
  for (const [k, v] of Object.entries(source)) setOwn(target, k, v);
  return target;
}
