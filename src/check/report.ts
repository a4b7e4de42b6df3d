import { formatIssue, type ConfigIssue, type ConfigIssueCode } from "../config/types";
import { formatFinding, type Finding } from "./findings";
import { formatSeconds } from "./probe";
import type { CheckKind, CheckSummary, ModelReport, ProbeResult } from "./types";

/**
 * The report, for people (a table) or machines (JSON). The table is our own ~40 lines rather
 * than cli-table3: it needs no borders, wrapping or spans, Bun.stringWidth already measures
 * wide and ANSI-coloured text, and a dependency would add code to every shipped binary.
 */

type Paint = (s: string) => string;
const sgr =
  (code: string): Paint =>
  (s) =>
    `\x1b[${code}m${s}\x1b[0m`;
const PLAIN: Record<"ok" | "fail" | "skip" | "head" | "dim", Paint> = {
  ok: (s) => s,
  fail: (s) => s,
  skip: (s) => s,
  head: (s) => s,
  dim: (s) => s,
};
const ANSI: typeof PLAIN = {
  ok: sgr("32"),
  fail: sgr("31"),
  skip: sgr("33"),
  head: sgr("1"),
  dim: sgr("2"),
};

/** A cell: its text, and how to paint it once padded (colour never counts towards width). */
type Cell = [text: string, paint?: keyof typeof PLAIN];

/** `source`: the config file, which findings without a file of their own are in. */
export function renderTable(
  reports: ModelReport[],
  kinds: CheckKind[],
  summary: CheckSummary,
  color: boolean,
  findings: Finding[] = [],
  source = "",
): string {
  const paint = color ? ANSI : PLAIN;
  const perKind = kinds.length > 1;
  const header = [
    "MODEL",
    "API",
    "HOST",
    ...(perKind ? ["CHECK"] : []),
    "RESULT",
    "STATUS",
    "LATENCY",
    "DETAIL",
  ];
  const rows: Cell[][] = [];
  for (const r of reports) {
    for (const p of r.probes) {
      rows.push([
        [r.model],
        [r.apiType],
        [r.host, "dim"],
        ...(perKind ? [[p.kind] as Cell] : []),
        result(p),
        [p.status ? String(p.status) : "-"],
        [latency(p)],
        [p.error ?? p.note ?? ""],
      ]);
    }
  }
  const widths = header.map((h, i) =>
    Math.max(Bun.stringWidth(h), ...rows.map((row) => Bun.stringWidth(row[i]![0]))),
  );
  const line = (cells: Cell[]) =>
    cells
      .map(([text, style], i) => {
        const painted = style ? paint[style](text) : text;
        // The last column is not padded: trailing spaces would only wrap narrow terminals.
        return i === cells.length - 1
          ? painted
          : painted + " ".repeat(widths[i]! - Bun.stringWidth(text));
      })
      .join("  ")
      .trimEnd();
  const out = [line(header.map((h) => [h, "head"] as Cell)), ...rows.map(line)];
  // Between the table and the summary, so the summary stays the last line scripts read.
  if (findings.length > 0)
    out.push("", ...findings.map((f) => `${paint.skip("warning:")} ${formatFinding(source, f)}`));
  out.push("", summaryLine(summary, paint));
  return out.join("\n") + "\n";
}

function result(p: ProbeResult): Cell {
  if (p.skipped) return ["skip", "skip"];
  return p.ok ? ["ok", "ok"] : ["FAIL", "fail"];
}

function latency(p: ProbeResult): string {
  if (p.skipped || (!p.ok && p.status === undefined && p.latencyMs === 0)) return "-";
  return duration(p.latencyMs);
}

const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : formatSeconds(ms));

function summaryLine(s: CheckSummary, paint: typeof PLAIN): string {
  const failed = s.failed ? paint.fail(`${s.failed} failed`) : "0 failed";
  return `${s.models} model${s.models === 1 ? "" : "s"}: ${paint.ok(`${s.ok} ok`)}, ${failed} (${duration(s.durationMs)})`;
}

export function renderInvalidConfig(file: string, issues: ConfigIssue[], color: boolean): string {
  const paint = color ? ANSI : PLAIN;
  return (
    [paint.fail("config invalid:"), ...issues.map((i) => `  ${formatIssue(file, i)}`)].join("\n") +
    "\n"
  );
}

interface JsonIssue<Code extends string> {
  code: Code;
  /** Set when the issue is in the keys file rather than the config file. */
  file?: string;
  path: string;
  line?: number;
  col?: number;
  message: string;
}

export interface JsonReport {
  ok: boolean;
  config: {
    valid: boolean;
    issues: JsonIssue<ConfigIssueCode>[];
  };
  /** The config's warnings and the check's findings; they never fail the check. */
  warnings: JsonIssue<Finding["code"]>[];
  results: ModelReport[];
  summary: CheckSummary;
}

export function renderJson(report: JsonReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

export function jsonIssues<I extends Finding>(issues: I[]): JsonIssue<I["code"]>[] {
  return issues.map((i) => ({
    code: i.code,
    ...(i.file ? { file: i.file } : {}),
    path: i.path,
    ...(i.pos ? { line: i.pos.line, col: i.pos.col } : {}),
    message: i.message,
  }));
}
