/**
 * YAML text → plain data with locations (positions.ts), and the parser's own findings as issues:
 * the first stage of reading config.yaml and a keys_file alike.
 */
import { LineCounter, parseDocument, type YAMLError, type YAMLWarning } from "yaml";
import type { Env } from "./env";
import { locate, type Located } from "./positions";
import type { ConfigIssue } from "./types";

export type ParsedYaml =
  { ok: true; located: Located; warnings: ConfigIssue[] } | { ok: false; errors: ConfigIssue[] };

export function parseYaml(text: string, env: Env): ParsedYaml {
  const lines = new LineCounter();
  // prettyErrors would append a multi-line source excerpt; we want one line per issue, with our own pos.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const yamlIssue = (e: YAMLError | YAMLWarning): ConfigIssue => ({
    code: e.name === "YAMLWarning" ? "YAML_WARNING" : "YAML_SYNTAX",
    path: "",
    pos: lines.linePos(e.pos[0]),
    message: `YAML ${e.name === "YAMLWarning" ? "warning" : "syntax error"}: ${e.message}`,
  });
  // A document with syntax errors is only partly built; validating it would add misleading noise.
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map(yamlIssue) };
  return { ok: true, located: locate(doc, lines, env), warnings: doc.warnings.map(yamlIssue) };
}
