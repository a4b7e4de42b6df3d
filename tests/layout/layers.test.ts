import { afterAll, describe, expect, test } from "bun:test";
import { checkLayers, LAYERS } from "../../scripts/check-layers";
import { removeTrees, tree } from "./tree";

afterAll(removeTrees);

/** The layering check over a tree where `from/a.ts` imports `to/b.ts` and nothing else. */
function oneEdge(from: string, to: string) {
  return checkLayers(
    tree({
      [`${from}/a.ts`]: `import { b } from "../${to}/b";\nexport const a = b;\n`,
      [`${to}/b.ts`]: "export const b = 1;\n",
    }),
  );
}

describe("the layering table", () => {
  // Each sentence of the target layout, as edges it forbids or allows.
  const forbidden: [string, string][] = [
    ["ir", "wire"],
    ["ir", "config"],
    ["wire", "config"],
    ["wire", "upstream"],
    ["wire", "log"],
    ...["server", "core", "upstream", "relay", "attempt", "convert"].map((to): [string, string] => [
      "balance",
      to,
    ]),
    ["server", "config"],
    ["server", "log"],
    ...["core", "attempt", "relay", "upstream", "server", "convert"].flatMap((to) =>
      ["metrics", "log", "config"].map((from): [string, string] => [from, to]),
    ),
    ["upstream", "wire"],
    ["upstream", "convert"],
    ["upstream", "core"],
    ["relay", "upstream"],
    ["relay", "config"],
    ["attempt", "core"],
    ["attempt", "server"],
    ["core", "server"],
    ["core", "cli"],
    ["auth", "config"],
  ];
  const allowed: [string, string][] = [
    ["wire", "ir"],
    ["config", "wire"],
    ["config", "ir"],
    ["balance", "config"],
    ["server", "core"],
    ["upstream", "ir"],
    ["upstream", "config"],
    ["upstream", "log"],
    ["relay", "wire"],
    ["relay", "ir"],
    ...["upstream", "relay", "wire", "ir", "config", "log"].map((to): [string, string] => [
      "attempt",
      to,
    ]),
    ["core", "attempt"],
    ["core", "auth"],
    ["metrics", "auth"],
    ["cli", "core"],
  ];

  test.each(forbidden)("%s/ importing %s/ is a violation", (from, to) => {
    const { violations } = oneEdge(from, to);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toStartWith(`src/${from}/a.ts:1 -> src/${to}/b.ts (${from}/ `);
  });

  test.each(allowed)("%s/ may import %s/", (from, to) => {
    expect(oneEdge(from, to).violations).toEqual([]);
  });

  test("a folder the table does not know is a finding, so new folders are placed on purpose", () => {
    expect(LAYERS.brandnew).toBeUndefined();
    const { violations } = oneEdge("brandnew", "ir");
    expect(violations).toEqual(["src/brandnew has no layering rule: add one to LAYERS"]);
  });

  test("a relative import of a missing file is a finding; an asset is not part of the graph", () => {
    const src = tree({
      "core/a.ts": 'import "./missing";\nimport wasm from "./jq.wasm";\nexport const a = wasm;\n',
    });
    expect(checkLayers(src).violations).toEqual([
      "src/core/a.ts:1 -> ./missing (does not resolve)",
    ]);
  });
});

describe("cycles", () => {
  test("a cycle through value imports is reported with its path", () => {
    const r = checkLayers(
      tree({
        "core/x.ts": 'import { y } from "./y";\nexport const x = () => y;\n',
        "core/y.ts": 'import { x } from "./x";\nexport const y = () => x;\n',
        "core/z.ts": 'import { x } from "./x";\nexport const z = x;\n',
      }),
    );
    expect(r.cycles).toEqual(["cycle src/core/x.ts -> src/core/y.ts -> src/core/x.ts"]);
    expect(r.typeCycles).toEqual([]);
  });

  test("side-effect, dynamic and star re-export imports are value edges", () => {
    const r = checkLayers(
      tree({
        "core/a.ts": 'import "./b";\n',
        "core/b.ts": 'export * from "./c";\n',
        "core/c.ts": 'export const load = () => import("./a");\n',
      }),
    );
    expect(r.cycles).toHaveLength(1);
    expect(r.cycles[0]).toContain("src/core/a.ts -> src/core/b.ts -> src/core/c.ts");
  });

  test("a cycle closed only by type-only imports is listed apart", () => {
    const r = checkLayers(
      tree({
        "core/p.ts": 'import type { Q } from "./q";\nexport type P = Q[];\nexport const p = 1;\n',
        "core/q.ts": 'import { p } from "./p";\nexport type Q = number;\nexport const q = p;\n',
        "core/r.ts": 'import { type S } from "./s";\nexport type R = S;\n',
        "core/s.ts": 'export type { R as S } from "./r";\n',
      }),
    );
    expect(r.cycles).toEqual([]);
    expect(r.typeCycles).toEqual([
      "cycle src/core/p.ts -> src/core/q.ts -> src/core/p.ts",
      "cycle src/core/r.ts -> src/core/s.ts -> src/core/r.ts",
    ]);
  });

  test("folders that import each other are a folder cycle, even through types", () => {
    const r = checkLayers(
      tree({
        "config/a.ts": 'import { w } from "../wire/w";\nexport const a = w;\nexport type A = 1;\n',
        "wire/w.ts": 'import type { A } from "../config/a";\nexport const w: A = 1;\n',
      }),
    );
    expect(r.cycles).toEqual([]);
    expect(r.typeCycles).toHaveLength(1);
    expect(r.folderCycles).toHaveLength(1);
    expect(r.folderCycles[0]).toStartWith("folders config, wire import each other:");
    expect(r.folderCycles[0]).toContain("wire -> config: src/wire/w.ts -> src/config/a.ts");
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toStartWith(
      "src/wire/w.ts:1 -> src/config/a.ts (wire/ imports only ir/",
    );
  });
});

describe("index.ts bypasses", () => {
  const src = tree({
    "wire/index.ts": 'export { c } from "./codec";\n',
    "wire/codec.ts": 'import { s } from "./sse";\nexport const c = s;\n',
    "wire/sse/index.ts": 'export { s } from "./frames";\n',
    "wire/sse/frames.ts": "export const s = 1;\n",
    "wire/openai/x.ts": 'import { s } from "../sse/frames";\nexport const x = s;\n',
    "core/through.ts": 'import { c } from "../wire";\nexport const t = c;\n',
    "core/past.ts": 'import { c } from "../wire/codec";\nexport const p = c;\n',
    "core/deep.ts": 'import { s } from "../wire/sse/frames";\nexport const d = s;\n',
  });

  test("are reported from outside the folder, naming its outermost index.ts, and are no violation", () => {
    const r = checkLayers(src);
    expect(r.violations).toEqual([]);
    expect(r.bypasses).toEqual([
      "src/core/deep.ts:1 -> src/wire/sse/frames.ts (import through src/wire/index.ts)",
      "src/core/past.ts:1 -> src/wire/codec.ts (import through src/wire/index.ts)",
      "src/wire/openai/x.ts:1 -> src/wire/sse/frames.ts (import through src/wire/sse/index.ts)",
    ]);
  });
});
