/**
 * Outside `src/wire/`, no code names a wire format: no string literal, template text or
 * identifier equal to a registered format id. Comments are not code and may name formats.
 * Prints each hit as `file:line:col "id" (what)`; exits 1 on any.
 *
 *   bun scripts/check-format-literals.ts
 */
import { join } from "node:path";
import ts from "typescript";
import { readSources } from "./source-graph";

export interface FormatHit {
  file: string;
  line: number;
  column: number;
  id: string;
  kind: "string" | "identifier";
}

/** The registered format ids: `FORMAT_IDS` of the registry, src/wire/index.ts. */
export async function registeredFormatIds(src: string): Promise<string[]> {
  const wire: { FORMAT_IDS?: unknown } = await import(join(src, "wire", "index.ts"));
  const ids = wire.FORMAT_IDS;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string")) {
    throw new Error(`${join(src, "wire", "index.ts")} exports no FORMAT_IDS list of format ids`);
  }
  return ids;
}

/** Every literal or identifier in `root` outside `exempt` (a folder, relative to root) that is an id. */
export function findFormatLiterals(
  root: string,
  ids: readonly string[],
  exempt = "wire",
): FormatHit[] {
  const wanted = new Set(ids);
  const hits: FormatHit[] = [];
  for (const { path, ast } of readSources(root)) {
    if (path.startsWith(`${exempt}/`)) continue;
    const hit = (node: ts.Node, id: string, kind: FormatHit["kind"]) => {
      const at = ast.getLineAndCharacterOfPosition(node.getStart(ast));
      hits.push({ file: path, line: at.line + 1, column: at.character + 1, id, kind });
    };
    const visit = (node: ts.Node): void => {
      // An import path is where code lives, not a format named by code.
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
        ts.forEachChild(node, (child) => {
          if (child !== node.moduleSpecifier) visit(child);
        });
        return;
      }
      if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
        if (wanted.has(node.text)) hit(node, node.text, "string");
      } else if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
        const name = ts.idText(node).replace(/^#/, "");
        if (wanted.has(name)) hit(node, name, "identifier");
      }
      ts.forEachChild(node, visit);
    };
    visit(ast);
  }
  return hits;
}

if (import.meta.main) {
  const src = join(import.meta.dir, "..", "src");
  const ids = await registeredFormatIds(src);
  const hits = findFormatLiterals(src, ids);
  for (const h of hits) console.log(`src/${h.file}:${h.line}:${h.column} "${h.id}" (${h.kind})`);
  if (hits.length === 0)
    console.log(`format literals: none outside src/wire/ (ids: ${ids.join(", ")})`);
  else console.log(`${hits.length} format literals outside src/wire/ (ids: ${ids.join(", ")})`);
  process.exit(hits.length === 0 ? 0 : 1);
}
