/**
 * The files of `src/` and their imports, read with the TypeScript parser alone (no type checking,
 * so the whole tree takes well under a second). Shared by the layout checks.
 *
 * An import is type-only when the compiler erases it: `import type`, `export type … from`, or
 * named bindings that are all marked `type`. Anything else counts as a value import, which may
 * overstate a little (an unmarked import used only as a type is erased too), never understate.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

export interface SourceImport {
  /** The specifier as written. */
  specifier: string;
  /** The imported file, relative to the source root; undefined for a package or a non-code asset. */
  target: string | undefined;
  typeOnly: boolean;
  line: number;
}

export interface Source {
  /** Relative to the source root, with `/` separators: `core/handle.ts`. */
  path: string;
  ast: ts.SourceFile;
  imports: SourceImport[];
  /** Relative specifiers that name a `.ts` file that does not exist. */
  unresolved: SourceImport[];
}

/** Every `.ts` file under `root` (declaration files excluded), sorted, relative to `root`. */
export function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
        out.push(relative(root, full).split(sep).join("/"));
      }
    }
  };
  walk(root);
  return out.sort();
}

export function readSources(root: string): Source[] {
  return listSources(root).map((path) => {
    const text = readFileSync(join(root, path), "utf8");
    const ast = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const imports: SourceImport[] = [];
    const unresolved: SourceImport[] = [];
    for (const found of importsOf(ast)) {
      const target = found.specifier.startsWith(".")
        ? resolveRelative(root, path, found.specifier)
        : undefined;
      const entry = { ...found, target: target ?? undefined };
      if (target === null) unresolved.push(entry);
      else imports.push(entry);
    }
    return { path, ast, imports, unresolved };
  });
}

/**
 * The top-level folder a file belongs to (`core/handle.ts` → `core`); a file directly in the root
 * is a module of its own (`main.ts` → `main`).
 */
export function moduleOf(path: string): string {
  const slash = path.indexOf("/");
  return slash >= 0 ? path.slice(0, slash) : path.replace(/\.ts$/, "");
}

export function lineOf(ast: ts.SourceFile, node: ts.Node): number {
  return ast.getLineAndCharacterOfPosition(node.getStart(ast)).line + 1;
}

type Found = Omit<SourceImport, "target">;

function importsOf(ast: ts.SourceFile): Found[] {
  const out: Found[] = [];
  const add = (spec: ts.Expression, typeOnly: boolean, node: ts.Node) => {
    if (ts.isStringLiteralLike(spec)) {
      out.push({ specifier: spec.text, typeOnly, line: lineOf(ast, node) });
    }
  };
  for (const st of ast.statements) {
    if (ts.isImportDeclaration(st)) add(st.moduleSpecifier, importIsTypeOnly(st), st);
    else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      add(st.moduleSpecifier, exportIsTypeOnly(st), st);
    } else if (
      ts.isImportEqualsDeclaration(st) &&
      ts.isExternalModuleReference(st.moduleReference)
    ) {
      add(st.moduleReference.expression, st.isTypeOnly, st);
    }
  }
  // `import("x")` anywhere is a value edge; `typeof import("x")` in a type is a type edge.
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg) add(arg, false, node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, true, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return out;
}

function importIsTypeOnly(st: ts.ImportDeclaration): boolean {
  const clause = st.importClause;
  if (!clause) return false; // `import "./x"` runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return (
    !clause.name &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly)
  );
}

function exportIsTypeOnly(st: ts.ExportDeclaration): boolean {
  if (st.isTypeOnly) return true;
  const clause = st.exportClause;
  return (
    clause !== undefined &&
    ts.isNamedExports(clause) &&
    clause.elements.length > 0 &&
    clause.elements.every((e) => e.isTypeOnly)
  );
}

/**
 * The file a relative specifier names, as the bundler resolves it: the file itself, `.ts` added,
 * or the folder's `index.ts`. Undefined for an asset (`.wasm`, `.cjs`, `.json`) or a path outside
 * the root; null for a code file that is not there.
 */
function resolveRelative(root: string, from: string, specifier: string): string | undefined | null {
  const base = resolve(root, dirname(from), specifier);
  const rel = relative(root, base);
  if (rel.startsWith("..")) return undefined;
  const candidates = [base, `${base}.ts`, join(base, "index.ts"), base.replace(/\.js$/, ".ts")];
  for (const c of candidates) {
    if (c.endsWith(".ts") && existsSync(c) && statSync(c).isFile()) {
      return relative(root, c).split(sep).join("/");
    }
  }
  const ext = /\.([a-z]+)$/.exec(specifier)?.[1];
  return ext !== undefined && ext !== "ts" && ext !== "js" ? undefined : null;
}
