/**
 * Regenerates config.schema.json from the TypeBox schema the loader validates with.
 * Run after changing the schema (src/config/*schema.ts) or its defaults (src/config/defaults.ts);
 * tests/config/schema.test.ts fails until you do.
 */
import { resolve } from "node:path";
import { renderJsonSchema } from "../src/config";

const target = resolve(import.meta.dir, "..", "config.schema.json");
await Bun.write(target, renderJsonSchema());
console.log(`wrote ${target}`);
