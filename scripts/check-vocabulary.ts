/**
 * One vocabulary in every format folder: each registered format's `src/wire/<id>/` has the same
 * files, exporting the same names, so the same job has the same name everywhere. The modules are
 * loaded, so what is checked is what they export at run time (types are erased: `api.ts` must
 * export no value, `index.ts` exactly one, the format object). Exits 1 on any gap.
 *
 *   bun scripts/check-vocabulary.ts
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { registeredFormatIds } from "./check-format-literals";

/** File → the functions it must export. Extra exports are the folder's own business. */
export const VOCABULARY: Record<string, string[]> = {
  "request-decode.ts": ["decodeRequest"],
  "request-encode.ts": ["encodeRequest"],
  "response-decode.ts": ["decodeResponse"],
  "response-encode.ts": ["encodeResponse"],
  "stream-decode.ts": ["createStreamDecoder"],
  "stream-encode.ts": ["createStreamEncoder"],
  "finish.ts": ["decodeFinish", "encodeFinish"],
  "usage.ts": ["decodeUsage", "encodeUsage"],
  "error.ts": ["encodeError", "errorBody"],
  "error-decode.ts": ["decodeError"],
  "stream-end.ts": [],
};
/** Wire types of the API: types only. */
const TYPES_FILE = "api.ts";
/** The folder's way in: the format object and nothing else. */
const INDEX_FILE = "index.ts";

/**
 * Each gap as `src/wire/<id>/<file>: what is missing`. Given the registry (`FORMATS`), the
 * folder's one export must also be the object registered under its id.
 */
export async function checkVocabulary(
  wireDir: string,
  ids: readonly string[],
  registry?: Record<string, unknown>,
): Promise<string[]> {
  const gaps: string[] = [];
  for (const id of ids) {
    const folder = join(wireDir, id);
    const show = (file: string) => `src/wire/${id}/${file}`;
    const load = async (file: string): Promise<Record<string, unknown> | undefined> => {
      if (existsSync(join(folder, file))) return import(join(folder, file));
      gaps.push(`${show(file)}: missing`);
      return undefined;
    };
    for (const [file, names] of Object.entries(VOCABULARY)) {
      const mod = await load(file);
      if (!mod) continue;
      for (const name of names) {
        if (typeof mod[name] !== "function") gaps.push(`${show(file)}: exports no ${name}()`);
      }
    }
    const api = await load(TYPES_FILE);
    const values = api ? Object.keys(api) : [];
    if (values.length > 0) gaps.push(`${show(TYPES_FILE)}: exports values (${values.join(", ")})`);
    const index = await load(INDEX_FILE);
    if (index) {
      const exported = Object.keys(index);
      if (exported.length !== 1) {
        const list = exported.length > 0 ? exported.join(", ") : "none";
        gaps.push(`${show(INDEX_FILE)}: exports ${exported.length} values (${list}), not one`);
      } else if (registry && registry[id] !== index[exported[0]!]) {
        gaps.push(`${show(INDEX_FILE)}: ${exported[0]} is not the registry's "${id}"`);
      }
    }
  }
  return gaps;
}

if (import.meta.main) {
  const src = join(import.meta.dir, "..", "src");
  const ids = await registeredFormatIds(src);
  const { FORMATS } = (await import(join(src, "wire", "index.ts"))) as {
    FORMATS: Record<string, unknown>;
  };
  const gaps = await checkVocabulary(join(src, "wire"), ids, FORMATS);
  for (const g of gaps) console.log(g);
  if (gaps.length === 0) console.log(`vocabulary: ok (${ids.join(", ")})`);
  else console.log(`${gaps.length} vocabulary gaps in src/wire/{${ids.join(",")}}/`);
  process.exit(gaps.length === 0 ? 0 : 1);
}
