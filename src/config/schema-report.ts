/**
 * A document checked against its schema, every finding sent to the Reporter: unknown keys as
 * warnings (with the key probably meant), wrong types and ranges and missing keys as errors.
 */
import type { TSchema } from "@sinclair/typebox";
import type { Reporter } from "./reporter";
import { schemaProblems, unknownKeys } from "./validate";

export function reportSchema(r: Reporter, schema: TSchema): void {
  // Misspelt keys, by the pointer of the key they were probably meant to be.
  const misspelt = new Map<string, string>();
  for (const u of unknownKeys(schema, r.data)) {
    r.warn(
      "UNKNOWN_KEY",
      u.pointer,
      `unknown key "${u.key}" (ignored)${u.suggestion ? `; did you mean "${u.suggestion}"?` : ""}`,
    );
    if (u.suggestion)
      misspelt.set(`${u.pointer.slice(0, u.pointer.lastIndexOf("/"))}/${u.suggestion}`, u.key);
  }
  for (const p of schemaProblems(schema, r.data, (pointer) => r.raw(pointer))) {
    // Warnings are lost when loading fails, so a typo that causes an error is named in the error.
    const typo = p.missing && p.key ? misspelt.get(`${p.pointer}/${p.key}`) : undefined;
    r.error(
      p.missing ? "MISSING_KEY" : "SCHEMA",
      p.pointer,
      typo ? `${p.message}; "${typo}" looks like a misspelling of it` : p.message,
      p.missing,
    );
  }
}
