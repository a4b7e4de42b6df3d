import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { findFormatLiterals, registeredFormatIds } from "../../scripts/check-format-literals";
import { removeTrees, tree } from "./tree";

afterAll(removeTrees);

const IDS = ["openai", "anthropic", "gemini", "responses"];

describe("format literals outside src/wire/", () => {
  const src = tree({
    "core/routes.ts": [
      '// Comments may say openai, "gemini" or anthropic: they are not code.',
      'import { x } from "./openai";',
      'export const kind = "openai";',
      "export const table = { gemini: 1, 'anthropic': 2 };",
      "export const quoted = `anthropic`;",
      "export const near = ['openai-compatible', 'OpenAI', `gemini-${x}`, `${x}gemini`];",
      "/* anthropic */ export type Id = 'gemini';",
    ].join("\n"),
    "core/openai.ts": "export const x = 1;\n",
    "wire/openai/index.ts": 'export const openai = { id: "openai", gemini: "anthropic" };\n',
  });

  test("finds string, template and type literals and identifiers, with their place", () => {
    expect(findFormatLiterals(src, IDS)).toEqual([
      { file: "core/routes.ts", line: 3, column: 21, id: "openai", kind: "string" },
      { file: "core/routes.ts", line: 4, column: 24, id: "gemini", kind: "identifier" },
      { file: "core/routes.ts", line: 4, column: 35, id: "anthropic", kind: "string" },
      { file: "core/routes.ts", line: 5, column: 23, id: "anthropic", kind: "string" },
      // A template's text part that is an id names the format too.
      { file: "core/routes.ts", line: 6, column: 72, id: "gemini", kind: "string" },
      { file: "core/routes.ts", line: 7, column: 34, id: "gemini", kind: "string" },
    ]);
  });

  test("the ids are what the registry says", () => {
    expect(findFormatLiterals(src, ["gemini"]).map((h) => h.id)).toEqual([
      "gemini",
      "gemini",
      "gemini",
    ]);
  });
});

describe("the registered ids", () => {
  test("come from FORMAT_IDS in src/wire/index.ts", async () => {
    const src = tree({ "wire/index.ts": 'export const FORMAT_IDS = ["alpha", "beta"];\n' });
    expect(await registeredFormatIds(src)).toEqual(["alpha", "beta"]);
  });

  test("are required: without FORMAT_IDS the check cannot know what to look for", async () => {
    const src = tree({ "wire/index.ts": "export const WIRE = {};\n" });
    await expect(registeredFormatIds(src)).rejects.toThrow(
      "exports no FORMAT_IDS list of format ids",
    );
  });

  test("of this tree are the four formats the router speaks", async () => {
    const ids = await registeredFormatIds(join(import.meta.dir, "..", "..", "src"));
    expect([...ids].sort()).toEqual([...IDS].sort());
  });
});
