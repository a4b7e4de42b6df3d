import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkVocabulary, VOCABULARY } from "../../scripts/check-vocabulary";
import { removeTrees, tree } from "./tree";

afterAll(removeTrees);

/** A format folder `wire/fmt/` that has the whole vocabulary, with `change` applied. */
function folder(change: Record<string, string | undefined> = {}): string {
  const files: Record<string, string> = {
    "wire/fmt/api.ts": "export type Request = { model: string };\n",
    "wire/fmt/index.ts": "export const fmt = { id: 'fmt' };\n",
  };
  for (const [file, names] of Object.entries(VOCABULARY)) {
    files[`wire/fmt/${file}`] = names.map((n) => `export function ${n}() {}\n`).join("") || "\n";
  }
  for (const [path, text] of Object.entries(change)) {
    if (text === undefined) delete files[`wire/fmt/${path}`];
    else files[`wire/fmt/${path}`] = text;
  }
  return join(tree(files), "wire");
}

describe("the format-folder vocabulary", () => {
  test("a folder with every file and export has no gap", async () => {
    expect(await checkVocabulary(folder(), ["fmt"])).toEqual([]);
  });

  test("names a missing file and a missing or misnamed export", async () => {
    const wire = folder({
      "usage.ts": undefined,
      "finish.ts": "export function decodeFinish() {}\nexport const encodeStop = () => 1;\n",
      "stream-decode.ts": "export const createStreamDecoder = 1;\n",
    });
    expect(await checkVocabulary(wire, ["fmt"])).toEqual([
      "src/wire/fmt/stream-decode.ts: exports no createStreamDecoder()",
      "src/wire/fmt/finish.ts: exports no encodeFinish()",
      "src/wire/fmt/usage.ts: missing",
    ]);
  });

  test("api.ts holds types only", async () => {
    const wire = folder({ "api.ts": "export type A = 1;\nexport const DEFAULT = 2;\n" });
    expect(await checkVocabulary(wire, ["fmt"])).toEqual([
      "src/wire/fmt/api.ts: exports values (DEFAULT)",
    ]);
  });

  test("index.ts exports exactly one value, the registered format object", async () => {
    const two = folder({ "index.ts": "export const fmt = {};\nexport const VERSION = '1';\n" });
    expect(await checkVocabulary(two, ["fmt"])).toEqual([
      "src/wire/fmt/index.ts: exports 2 values (VERSION, fmt), not one",
    ]);
    const one = folder();
    const { fmt } = await import(join(one, "fmt", "index.ts"));
    expect(await checkVocabulary(one, ["fmt"], { fmt })).toEqual([]);
    expect(await checkVocabulary(one, ["fmt"], { fmt: { ...fmt } })).toEqual([
      'src/wire/fmt/index.ts: fmt is not the registry\'s "fmt"',
    ]);
  });

  test("every registered format is checked", async () => {
    expect(await checkVocabulary(folder(), ["fmt", "other"])).toContain(
      "src/wire/other/request-decode.ts: missing",
    );
  });
});
