import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SchemaError } from "../../../src/wire/gemini/schema-budget";
import { encodeParameters, encodeSchema } from "../../../src/wire/gemini/schema-encode";
import { checkSchema } from "../../mocks/gemini/schema";

const accepted = (schema: unknown) =>
  checkSchema(schema, "parameters", "parameters", "GenerateContentRequest");

describe("protocols.md §2.5, row by row", () => {
  test.each([
    [
      "type array with null → nullable",
      { type: ["string", "null"] },
      { type: "string", nullable: true },
    ],
    [
      "several non-null types → anyOf",
      { type: ["string", "integer"] },
      { anyOf: [{ type: "string" }, { type: "integer" }] },
    ],
    ["only null → the null type", { type: "null" }, { type: "null" }],
    [
      "kept annotations",
      { type: "string", title: "T", description: "D", default: "x", example: "y" },
      { type: "string", title: "T", description: "D", default: "x", example: "y" },
    ],
    [
      "string enum kept",
      { type: "string", enum: ["a", "b"] },
      { type: "string", enum: ["a", "b"] },
    ],
    [
      "enum with null → nullable",
      { enum: ["a", null] },
      { type: "string", enum: ["a"], nullable: true },
    ],
    [
      "numeric enum → described, type kept",
      { type: "integer", enum: [1, 2], description: "Level." },
      { type: "integer", description: "Level. Allowed values: 1, 2." },
    ],
    ["const → one-value enum", { const: "fixed" }, { type: "string", enum: ["fixed"] }],
    [
      "string formats other than enum/date-time dropped",
      { type: "string", format: "uri" },
      { type: "string" },
    ],
    [
      "date-time kept",
      { type: "string", format: "date-time" },
      { type: "string", format: "date-time" },
    ],
    [
      "number/integer formats",
      { type: "integer", format: "int64" },
      { type: "integer", format: "int64" },
    ],
    ["mismatched number format dropped", { type: "number", format: "int32" }, { type: "number" }],
    [
      "bounds kept",
      { type: "string", minLength: 1, maxLength: 9, pattern: "^a" },
      { type: "string", minLength: 1, maxLength: 9, pattern: "^a" },
    ],
    [
      "exclusive bounds (integer) → inclusive ±1",
      { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 10 },
      { type: "integer", minimum: 1, maximum: 9 },
    ],
    [
      "exclusive bounds (number) → inclusive",
      { type: "number", exclusiveMinimum: 0.5 },
      { type: "number", minimum: 0.5 },
    ],
    [
      "the stricter bound wins",
      { type: "integer", minimum: 5, exclusiveMinimum: 2 },
      { type: "integer", minimum: 5 },
    ],
    [
      "draft-4 boolean exclusiveMinimum dropped",
      { type: "number", minimum: 1, exclusiveMinimum: true },
      { type: "number", minimum: 1 },
    ],
    [
      "anyOf with null → nullable, single member inlined",
      { anyOf: [{ type: "string" }, { type: "null" }], description: "d" },
      { type: "string", nullable: true, description: "d" },
    ],
    [
      "oneOf → anyOf",
      { oneOf: [{ type: "string" }, { type: "number" }] },
      { anyOf: [{ type: "string" }, { type: "number" }] },
    ],
    [
      "allOf merged, required across members",
      {
        allOf: [
          { type: "object", properties: { a: { type: "string" } } },
          { properties: { b: { type: "number" } }, required: ["a", "b"] },
        ],
      },
      {
        type: "object",
        properties: { a: { type: "string" }, b: { type: "number" } },
        required: ["a", "b"],
      },
    ],
    [
      "tuple items → union",
      { type: "array", items: [{ type: "string" }, { type: "number" }] },
      { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } },
    ],
    [
      "array without items gets an unconstrained item",
      { type: "array" },
      { type: "array", items: {} },
    ],
    [
      "required filtered to declared properties",
      { type: "object", properties: { a: { type: "string" } }, required: ["a", "ghost"] },
      { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
    ],
    [
      "properties without type → object",
      { properties: { a: {} } },
      { type: "object", properties: { a: {} } },
    ],
    [
      "unsupported keywords dropped",
      {
        type: "object",
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: "x",
        $comment: "c",
        additionalProperties: false,
        patternProperties: {},
        propertyNames: { pattern: "^a" },
        unevaluatedProperties: false,
        dependentRequired: {},
        if: {},
        then: {},
        else: {},
        not: {},
        examples: ["e"],
        readOnly: true,
        deprecated: true,
        properties: { n: { type: "number", multipleOf: 2, uniqueItems: true } },
      },
      { type: "object", properties: { n: { type: "number" } } },
    ],
    [
      "property names are never rewritten",
      { type: "object", properties: { $ref: { type: "string" }, "a b": { type: "string" } } },
      { type: "object", properties: { $ref: { type: "string" }, "a b": { type: "string" } } },
    ],
  ])("%s", (_name, input, output) => {
    expect(encodeSchema(input)).toEqual(output as Record<string, unknown>);
    accepted(encodeSchema(input));
  });

  test("$ref inlined from $defs and definitions; a recursive ref becomes a plain object", () => {
    const schema = {
      type: "object",
      $defs: {
        Node: {
          type: "object",
          description: "A tree node",
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/$defs/Node" } },
          },
        },
      },
      definitions: { Color: { type: "string", enum: ["red", "green"] } },
      properties: {
        root: { $ref: "#/$defs/Node" },
        color: { $ref: "#/definitions/Color", description: "Pick one" },
        missing: { $ref: "#/$defs/Nope" },
      },
    };
    const out = encodeSchema(schema);
    expect(out).toEqual({
      type: "object",
      properties: {
        root: {
          type: "object",
          description: "A tree node",
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { type: "object", description: "A tree node" } },
          },
        },
        color: { type: "string", enum: ["red", "green"], description: "Pick one" },
        missing: { type: "object" },
      },
    });
    accepted(out);
  });

  test("no-argument tools send no parameters at all", () => {
    expect(encodeParameters({ type: "object", properties: {} })).toBeUndefined();
    expect(encodeParameters({ type: "object", additionalProperties: false })).toBeUndefined();
    expect(encodeParameters({})).toBeUndefined();
    expect(encodeParameters({ type: "object", properties: { a: { type: "string" } } })).toEqual({
      type: "object",
      properties: { a: { type: "string" } },
    });
  });
});

test("a Claude Code tool schema (draft 2020-12) is accepted by the strict mock", () => {
  const claudeCodeTool = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    additionalProperties: false,
    properties: {
      command: { type: "string", description: "The command" },
      timeout: { type: "number", exclusiveMinimum: 0, maximum: 9007199254740991 },
      mode: { anyOf: [{ const: "fast" }, { const: "slow" }] },
      url: { type: "string", format: "uri" },
      env: {
        type: "object",
        propertyNames: { pattern: "^[A-Z_]+$" },
        additionalProperties: { type: "string" },
      },
      edits: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          properties: { old: { type: "string" }, new: { type: "string" } },
          required: ["old", "new"],
          additionalProperties: false,
        },
      },
      level: { type: ["integer", "null"], enum: [1, 2, 3, null] },
    },
    required: ["command"],
  };
  const out = encodeParameters(claudeCodeTool)!;
  accepted(out);
  expect(out.properties).toMatchObject({
    timeout: { type: "number", minimum: 0, maximum: 9007199254740991 },
    mode: {
      anyOf: [
        { type: "string", enum: ["fast"] },
        { type: "string", enum: ["slow"] },
      ],
    },
    url: { type: "string" },
    env: { type: "object" },
    level: { type: "integer", nullable: true, description: "Allowed values: 1, 2, 3." },
  });
});

test("whatever JSON Schema comes in, the output passes Gemini's Schema parser", () => {
  const schema = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.boolean(),
      fc.record(
        {
          type: fc.oneof(
            fc.constantFrom("string", "number", "integer", "boolean", "object", "array", "null"),
            fc.subarray(["string", "number", "null", "object"]),
          ),
          properties: fc.dictionary(fc.string({ maxLength: 5 }), tie("node"), { maxKeys: 3 }),
          required: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
          items: fc.oneof(tie("node"), fc.array(tie("node"), { maxLength: 2 })),
          anyOf: fc.array(tie("node"), { maxLength: 3 }),
          oneOf: fc.array(tie("node"), { maxLength: 2 }),
          allOf: fc.array(tie("node"), { maxLength: 2 }),
          enum: fc.array(fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), {
            maxLength: 3,
          }),
          const: fc.oneof(fc.string(), fc.integer()),
          format: fc.constantFrom("uri", "date-time", "enum", "int32", "float", "email"),
          exclusiveMinimum: fc.oneof(fc.integer(), fc.boolean()),
          minimum: fc.double({ noNaN: true, noDefaultInfinity: true }),
          additionalProperties: fc.oneof(fc.boolean(), tie("node")),
          $ref: fc.constantFrom("#/$defs/A", "#", "#/nowhere"),
          description: fc.string({ maxLength: 8 }),
        },
        { requiredKeys: [] },
      ),
    ),
  })).node;
  fc.assert(
    fc.property(schema, fc.dictionary(fc.constantFrom("A", "B"), schema), (s, defs) => {
      const root = typeof s === "object" ? { ...s, $defs: defs } : s;
      accepted(encodeSchema(root));
      const params = encodeParameters(root);
      if (params) accepted(params);
    }),
    { numRuns: 300 },
  );
});

test("references that multiply (each definition using the next twice) are refused, not expanded", () => {
  const $defs: Record<string, unknown> = { D40: { type: "string" } };
  for (let i = 0; i < 40; i++)
    $defs[`D${i}`] = {
      type: "object",
      properties: { a: { $ref: `#/$defs/D${i + 1}` }, b: { $ref: `#/$defs/D${i + 1}` } },
    };
  const started = performance.now();
  expect(() => encodeSchema({ $defs, $ref: "#/$defs/D0" })).toThrow(SchemaError);
  expect(performance.now() - started).toBeLessThan(2000);
});

describe("schemas mean what they say", () => {
  test("a $ref never walks into Object.prototype", () => {
    for (const ref of ["#/__proto__", "#/constructor", "#/$defs/toString"]) {
      expect(encodeSchema({ $defs: {}, $ref: ref })).toEqual({ type: "object" });
    }
  });

  test("a property named __proto__ survives, and required lists only own properties", () => {
    const schema = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"integer"}},"required":["__proto__","a","constructor","toString","hasOwnProperty"]}',
    );
    const out = encodeSchema(schema);
    const props = out.properties as Record<string, unknown>;
    expect(Object.hasOwn(props, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(out))).toEqual(
      JSON.parse(
        '{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"integer"}},"required":["__proto__","a"]}',
      ),
    );
  });

  test("allOf members merging a __proto__ property keep it", () => {
    const schema = JSON.parse(
      '{"allOf":[{"type":"object","properties":{"__proto__":{"type":"string"}}},{"properties":{"b":{"type":"string"}},"required":["__proto__","b"]}]}',
    );
    const out = JSON.parse(JSON.stringify(encodeSchema(schema)));
    expect(Object.keys(out.properties)).toEqual(["__proto__", "b"]);
    expect(out.required).toEqual(["__proto__", "b"]);
  });

  test("allOf with many members merges in time linear in their number", () => {
    // Copying the merged properties per member took 6 s for 16k members (and ran out of budget
    // half-way); adding them up takes ~50 ms. The bound is far from both.
    const schema = {
      allOf: Array.from({ length: 16_000 }, (_, i) => ({
        properties: { [`p${i}`]: { type: "string" } },
        required: [`p${i}`],
      })),
    };
    const started = performance.now();
    const out = encodeSchema(schema);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(Object.keys(out.properties as object)).toHaveLength(16_000);
    expect(out.required).toHaveLength(16_000);
  });
});
