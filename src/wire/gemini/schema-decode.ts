import { isObject, type Json } from "../read";

/**
 * Gemini `Schema` (OpenAPI subset, as sent by Gemini clients in `parameters` and
 * `responseSchema`) → JSON Schema for the other formats. The differences are few: enum-style
 * type names (`STRING`), `nullable` instead of a "null" type, `example` instead of `examples`,
 * Gemini-only `propertyOrdering` and the `enum` string format.
 */
export function decodeSchema(node: unknown, depth = 0): Json {
  if (!isObject(node) || depth > 48) return {};
  const out: Json = {};
  for (const [rawKey, v] of Object.entries(node)) {
    const key = rawKey.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    switch (key) {
      case "type":
        if (typeof v === "string" && v.toUpperCase() !== "TYPE_UNSPECIFIED")
          out.type = v.toLowerCase();
        break;
      case "nullable":
      case "propertyOrdering":
        break;
      case "format":
        if (v !== "enum") out.format = v;
        break;
      case "example":
        out.examples = [v];
        break;
      case "properties":
        if (isObject(v))
          out.properties = Object.fromEntries(
            Object.entries(v).map(([k, s]) => [k, decodeSchema(s, depth + 1)]),
          );
        break;
      case "items":
        out.items = decodeSchema(v, depth + 1);
        break;
      case "anyOf":
        if (Array.isArray(v)) out.anyOf = v.map((s) => decodeSchema(s, depth + 1));
        break;
      case "minItems":
      case "maxItems":
      case "minLength":
      case "maxLength":
      case "minProperties":
      case "maxProperties":
      case "minimum":
      case "maximum":
        // int64 and double arrive as strings from some proto-JSON encoders.
        out[key] =
          typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
        break;
      default:
        out[key] = v;
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: "null" }];
    // JSON Schema checks enum independently of type, so null must be listed to stay allowed.
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}
