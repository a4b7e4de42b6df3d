// The OpenAPI-subset `Schema` message used by functionDeclarations.parameters and
// generationConfig.responseSchema. Anything outside the subset is an unknown proto field and
// fails the whole request, which is exactly what the router's sanitizer has to prevent.
import {
  enumValue,
  fieldError,
  get,
  known,
  list,
  message,
  parseError,
  scalar,
  snake,
} from "./fields.ts";

const KEYS = [
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
];
const TYPES = [
  "TYPE_UNSPECIFIED",
  "STRING",
  "NUMBER",
  "INTEGER",
  "BOOLEAN",
  "ARRAY",
  "OBJECT",
  "NULL",
];
const FORMATS: Record<string, [string[], string]> = {
  STRING: [["enum", "date-time"], "only 'enum' and 'date-time' are supported for STRING type"],
  NUMBER: [["float", "double"], "only 'float' and 'double' are supported for NUMBER type"],
  INTEGER: [["int32", "int64"], "only 'int32' and 'int64' are supported for INTEGER type"],
};

/**
 * `at` is the proto path used by parse errors (map entries appear as `properties[i].value`);
 * `field` names properties by key, as the semantic "* Request.field: ..." errors do.
 */
export function checkSchema(v: unknown, at: string, field: string, top: string): void {
  const s = message(v, at);
  const rawType = get(s, "type");
  if (Array.isArray(rawType))
    parseError(
      `Invalid JSON payload received. Unknown name "type" at '${at}': Proto field is not repeating, cannot start list.`,
      at,
    );
  known(s, KEYS, at);
  const type = rawType === undefined ? undefined : enumValue(rawType, TYPES, "Type", `${at}.type`);

  const format = get(s, "format");
  if (format !== undefined) {
    scalar(format, "TYPE_STRING", `${at}.format`);
    const rule = type ? FORMATS[type] : undefined;
    if (rule && !rule[0].includes(format)) fieldError(top, `${field}.format`, rule[1]);
  }
  for (const k of ["title", "description", "pattern"]) {
    if (get(s, k) !== undefined) scalar(get(s, k), "TYPE_STRING", `${at}.${snake(k)}`);
  }
  if (get(s, "nullable") !== undefined) scalar(get(s, "nullable"), "TYPE_BOOL", `${at}.nullable`);
  for (const k of [
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
  ]) {
    if (get(s, k) !== undefined) scalar(get(s, k), "TYPE_INT64", `${at}.${snake(k)}`);
  }
  for (const k of ["minimum", "maximum"]) {
    if (get(s, k) !== undefined) scalar(get(s, k), "TYPE_DOUBLE", `${at}.${k}`);
  }
  // Gemini's enum is repeated string: numbers or booleans are parse errors, not coerced.
  if (get(s, "enum") !== undefined)
    list(get(s, "enum"), `${at}.enum`).forEach((e, i) =>
      scalar(e, "TYPE_STRING", `${at}.enum[${i}]`),
    );
  if (get(s, "propertyOrdering") !== undefined) {
    list(get(s, "propertyOrdering"), `${at}.property_ordering`).forEach((e, i) =>
      scalar(e, "TYPE_STRING", `${at}.property_ordering[${i}]`),
    );
  }
  const items = get(s, "items");
  if (items !== undefined) checkSchema(items, `${at}.items`, `${field}.items`, top);
  const anyOf = get(s, "anyOf");
  if (anyOf !== undefined)
    list(anyOf, `${at}.any_of`).forEach((x, i) =>
      checkSchema(x, `${at}.any_of[${i}]`, `${field}.any_of[${i}]`, top),
    );

  const props = get(s, "properties");
  const names = new Set<string>();
  if (props !== undefined) {
    const p = message(props, `${at}.properties`);
    Object.entries(p).forEach(([name, ps], i) => {
      names.add(name);
      checkSchema(ps, `${at}.properties[${i}].value`, `${field}.properties[${name}]`, top);
    });
  }
  const required = get(s, "required");
  if (required !== undefined) {
    list(required, `${at}.required`).forEach((r, i) => {
      scalar(r, "TYPE_STRING", `${at}.required[${i}]`);
      if (!names.has(r as string))
        fieldError(top, `${field}.required[${i}]`, "property is not defined");
    });
  }
}
