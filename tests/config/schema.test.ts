import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { loadConfigText, renderJsonSchema } from "../../src/config";
import { MINIMAL } from "./fixtures/helpers";

const committedPath = resolve(import.meta.dir, "../../config.schema.json");

interface JsonSchema {
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

describe("config.schema.json", () => {
  test("the committed file matches the schema the loader uses (run `bun scripts/write-schema.ts`)", async () => {
    const committed = await Bun.file(committedPath).text();
    expect(committed).toBe(renderJsonSchema());
  });

  test("has $schema and title, and every property has a description for editor hovers", () => {
    const schema = JSON.parse(renderJsonSchema()) as JsonSchema & {
      $schema: string;
      title: string;
    };
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.title).toBe("llm-router config.yaml");
    const undocumented: string[] = [];
    const visit = (s: JsonSchema, path: string): void => {
      for (const [key, child] of Object.entries(s.properties ?? {})) {
        if (!child.description) undocumented.push(`${path}.${key}`);
        visit(child, `${path}.${key}`);
      }
      if (s.items) visit(s.items, `${path}[]`);
      for (const variant of s.anyOf ?? []) visit(variant, path);
    };
    visit(schema, "$");
    expect(undocumented).toEqual([]);
    expect(Object.keys(schema.properties!)).toEqual([
      "server_settings",
      "model_list",
      "router_settings",
      "keys",
      "keys_file",
    ]);
  });

  test("the schema allows unknown keys, as the loader only warns about them", () => {
    expect(renderJsonSchema()).not.toContain('"additionalProperties": false');
    expect(loadConfigText("extra: 1\n" + MINIMAL, "c.yaml", {}).warnings).toHaveLength(1);
  });
});
