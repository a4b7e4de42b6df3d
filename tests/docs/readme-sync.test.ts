import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { docBlocks, ROOT } from "./blocks";

/**
 * README.md and its Chinese twin README.zh-CN.md stay one document in two languages: the same
 * sections in the same order, and every code block (commands and configs) byte for byte the same.
 * Every block is either vouched for by a test (its id appears in one) or marked as an example
 * with the reason no test can run it, and every link points at something that exists.
 */

const FILES = ["README.md", "README.zh-CN.md"];
const text = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** The lines outside fenced blocks, with their 1-based numbers. */
function prose(markdown: string): [number, string][] {
  const out: [number, string][] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((line, i) => {
    const m = /^\s*(`{3,})/.exec(line);
    if (m && (fence === undefined || m[1]!.length >= fence.length)) {
      fence = fence === undefined ? m[1] : undefined;
      return;
    }
    if (fence === undefined) out.push([i + 1, line]);
  });
  return out;
}

function headings(markdown: string): { level: number; title: string; line: number }[] {
  return prose(markdown).flatMap(([line, l]) => {
    const m = /^(#{1,6}) (.+)$/.exec(l);
    return m ? [{ level: m[1]!.length, title: m[2]!.trim(), line }] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings(markdown)) {
    const base = slug(h.title);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function testSources(dir = join(ROOT, "tests")): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "fixtures") return [];
    if (statSync(path).isDirectory()) return testSources(path);
    return /\.ts$/.test(name) ? [path] : [];
  });
}

describe.each(FILES)("%s", (file) => {
  test("every fenced block is marked, as a block a test vouches for or as an example", () => {
    const unmarked = docBlocks(file).filter((b) => !b.id && !b.example);
    expect(unmarked.map((b) => `${file}:${b.line}`)).toEqual([]);
    const ids = docBlocks(file).flatMap((b) => (b.id ? [b.id] : []));
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});

describe.each([...FILES, "docs/architecture.md", "docs/responses.md", "BENCHMARKS.md"])(
  "%s",
  (file) => {
    test("every in-page link names a heading, every file link an existing file", () => {
      const md = text(file);
      const own = anchors(md);
      const broken: string[] = [];
      for (const [line, l] of prose(md)) {
        for (const m of l.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1]!;
          if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
          const [path, hash] = target.split("#") as [string, string | undefined];
          if (path === "" ? !own.has(hash ?? "") : !existsSync(join(ROOT, dirname(file), path)))
            broken.push(`${file}:${line} ${target}`);
        }
      }
      expect(broken).toEqual([]);
    });
  },
);

test("every block id is used by some test, so each block is really run or compared", () => {
  const sources = testSources()
    .filter((p) => !p.endsWith("blocks.ts") && !p.endsWith("readme-sync.test.ts"))
    .map((p) => readFileSync(p, "utf8"))
    .join("\n");
  const ids = docBlocks("README.md").flatMap((b) => (b.id ? [b.id] : []));
  expect(ids.length).toBeGreaterThan(10);
  const unused = ids.filter((id) => !sources.includes(`"${id}"`) && !sources.includes(`'${id}'`));
  expect(unused).toEqual([]);
});

test("the two READMEs link to each other at the top", () => {
  const head = (file: string) => text(file).split("\n").slice(0, 5).join("\n");
  expect(head("README.md")).toContain("](README.zh-CN.md)");
  expect(head("README.zh-CN.md")).toContain("](README.md)");
});

test("the same sections in the same order", () => {
  const [en, zh] = FILES.map((f) => headings(text(f)));
  expect(zh!.map((h) => h.level)).toEqual(en!.map((h) => h.level));
});

test("every code block is the same in both, in the same order, with the same marker", () => {
  const strip = (file: string) =>
    docBlocks(file).map(({ id, example, lang, code }) => ({ id, example, lang, code }));
  const [en, zh] = FILES.map(strip);
  expect(zh!.length).toBe(en!.length);
  en!.forEach((block, i) => expect({ i, ...zh![i] }).toEqual({ i, ...block }));
});

test("a section with prose in English has prose in Chinese too (nothing left untranslated)", () => {
  /** Per heading, the prose between it and the next one, markers and blank lines dropped. */
  const sections = (file: string) => {
    const out: string[] = [];
    for (const [, l] of prose(text(file))) {
      if (/^#{1,6} /.test(l)) out.push("");
      else if (out.length > 0 && !/^\s*<!--.*-->\s*$/.test(l)) out[out.length - 1] += l.trim();
    }
    return out;
  };
  const [en, zh] = FILES.map(sections);
  const missing = en!.flatMap((body, i) => {
    const cjk = /\p{Script=Han}/u.test(zh![i] ?? "");
    return (body !== "") !== cjk ? [headings(text("README.md"))[i]!.title] : [];
  });
  expect(missing).toEqual([]);
});
