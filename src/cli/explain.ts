import { parseArgs } from "citty";
import { readFile } from "node:fs/promises";
import { loadCheckedConfig } from "./config";
import { estimateRequest } from "../attempt/estimate";
import { hashKey } from "../balance/rendezvous";
import type { Explanation } from "../balance/types";
import type { GroupConfig } from "../config/types";
import { fitWindows, sizeMatters } from "../core/context-fit";
import { findSessionKey, type SessionKey } from "../core/session-key";
import { loadRuntime } from "../core/runtime";
import { isRouterError } from "../ir";
import { FALLBACK_FORMAT, FORMAT_IDS, FORMATS, isFormatId, type FormatId } from "../wire";
import { checkUnknownFlags, knownFlags, UsageError } from "./args";

/**
 * `llm-router explain`: a dry run of the routing decision for one request body — each member's
 * selector result, weights and health, and the order the router would try them in. It uses the
 * same selector engine and balancer as the live router, on a fresh process (so every model is
 * healthy), which is what a CI check of a config wants.
 */
export const EXPLAIN_ARGS = {
  group: { type: "positional", required: true, description: "Model group to route to" },
  body: {
    type: "positional",
    required: true,
    description: "File with the request body (JSON), as a client would send it",
  },
  config: {
    type: "string",
    alias: "c",
    default: "config.yaml",
    valueHint: "path",
    description: "Config file",
  },
  format: {
    type: "string",
    valueHint: FORMAT_IDS.join("|"),
    description: "The client's API (default: the first whose request shape the body has)",
  },
  header: {
    type: "string",
    valueHint: "name: value",
    description:
      "A request header to consider, e.g. a session header (x-claude-code-session-id: …)",
  },
  json: { type: "boolean", description: "Print JSON instead of a table" },
  help: { type: "boolean", alias: "h", description: "Print help" },
} as const;

export const EXPLAIN_DESCRIPTION = "Show how the router would route a request body";

export interface ExplainOptions {
  group: string;
  body: string;
  config: string;
  format?: string;
  header?: string;
  json?: boolean;
}

const USAGE = `usage: llm-router explain <group> <body.json> [-c config.yaml] [--format ${FORMAT_IDS.join("|")}] [--header "name: value"] [--json]`;
const KNOWN = knownFlags(EXPLAIN_ARGS);

/** The arguments after `explain`; anything it does not take (flags, a third positional) is a usage error. */
export function parseExplainArgs(raw: readonly string[]): ExplainOptions {
  checkUnknownFlags(raw, KNOWN, "llm-router explain --help");
  // Positionals are checked here, in this command's words, rather than by citty.
  const args = parseArgs([...raw], {
    ...EXPLAIN_ARGS,
    group: { ...EXPLAIN_ARGS.group, required: false },
    body: { ...EXPLAIN_ARGS.body, required: false },
  });
  const [group, body, extra] = args._ as string[];
  if (group === undefined || body === undefined) throw new UsageError(USAGE);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"; ${USAGE}`);
  for (const name of ["config", "format", "header"] as const)
    if (args[name] === "") throw new UsageError(`--${name} needs a value`);
  return {
    group,
    body,
    config: String(args.config),
    format: args.format as string | undefined,
    header: args.header as string | undefined,
    json: args.json === true,
  };
}

export async function runExplain(args: ExplainOptions, out: (s: string) => void): Promise<number> {
  const format = args.format;
  if (format !== undefined && !isFormatId(format))
    throw new UsageError(`invalid --format "${format}"`);
  const raw = new Uint8Array(
    await readFile(args.body).catch(() =>
      Promise.reject(new UsageError(`cannot read ${args.body}`)),
    ),
  );
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch (err) {
    throw new UsageError(`${args.body} is not valid JSON: ${(err as Error).message}`);
  }
  const config = await loadCheckedConfig(args.config);
  const group = config.groups.get(args.group);
  if (!group)
    throw new UsageError(
      `no group "${args.group}" in ${config.source}; groups: ${[...config.groups.keys()].join(", ")}`,
    );
  const headers = requestHeaders(args.header);
  const runtime = await loadRuntime(config);
  try {
    const fmt = format ?? formatOfBody(body);
    const call = {
      ...({ format: fmt, client: FORMATS[fmt], op: "generate", group: group.name } as const),
      ...{ stream: false, sse: false, body, raw, headers },
    };
    // As the live router does: the estimate only when a window or a $tokens selector needs it.
    const selectors = runtime.selectors;
    const size = sizeMatters(config, group, selectors) ? await estimateRequest(call) : undefined;
    const outcomes = selectors
      ? await selectors.evaluate(group.name, raw, fmt, size?.input)
      : group.members.map((m) => (m.selector ? "unevaluated" : "match"));
    const selected = outcomes.map((o) => o === "match");
    const fit = fitWindows(config, group, selected, { ...(size ? { size } : {}), format: fmt });
    // As the live router does: a group of one has nothing to order, so no key is looked for.
    const session =
      group.affinity === "session" && group.members.length > 1
        ? findSessionKey(call, config.affinityKeys)
        : undefined;
    const explanation = runtime.balancer.explain(
      group,
      fit.eligible,
      session ? { session: hashKey(session.key) } : {},
    );
    const rows = explanation.members.map((m, i) => ({
      rank: m.rank,
      model: m.model,
      api_type: config.models.get(m.model)?.apiType,
      selector: group.members[i]!.selector ? outcomes[i] : "none",
      window: windowNote(config.models.get(m.model)?.contextWindow, selected[i]!, fit.eligible[i]!),
      weight: m.configuredWeight,
      effective_weight: m.effectiveWeight,
      health: m.health,
      reason: m.reason,
    }));
    if (args.json)
      out(
        JSON.stringify(
          {
            group: group.name,
            format: fmt,
            strategy: explanation.strategy,
            deterministic: explanation.deterministic,
            affinity: group.affinity ?? "none",
            ...(session ? { session } : {}),
            ...(size ? { estimated_tokens: size } : {}),
            fallbacks: group.chain?.slice(1) ?? [],
            members: rows,
          },
          null,
          2,
        ) + "\n",
      );
    else out(table(group, rows, fmt, explanation, session));
    return explanation.plan.candidates.length > 0 ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

function table(
  group: GroupConfig,
  rows: Record<string, unknown>[],
  format: string,
  { strategy, deterministic, affinity }: Explanation,
  session: SessionKey | undefined,
): string {
  const cols = [
    "rank",
    "model",
    "api_type",
    "selector",
    "window",
    "weight",
    "effective_weight",
    "health",
    "reason",
  ];
  const cells = rows.map((r) =>
    cols.map((c) => (r[c] === null || r[c] === undefined ? "-" : String(r[c]))),
  );
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const order = rows
    .filter((r) => r.rank !== null)
    .sort((a, b) => Number(a.rank) - Number(b.rank))
    .map((r) => r.model);
  const fallbacks = group.chain?.slice(1) ?? [];
  return [
    `group ${group.name} (${strategy}${deterministic ? "" : ", random: the first pick varies"}), ${format} request`,
    affinity
      ? `session key ${JSON.stringify(clip(session!.key))} from ${session!.source}: members in its rendezvous order`
      : `affinity ${group.affinity ?? "none"}${group.affinity === "session" ? ": no session key in this request" : ""}`,
    line(cols.map((c) => c.toUpperCase())),
    ...cells.map(line),
    order.length
      ? `would try: ${order.join(" → ")}`
      : `no model is eligible: ${rows.some((r) => String(r.window).endsWith("too small")) ? "the request does not fit the context window of any selected model" : "no selector matched"}`,
    ...(fallbacks.length ? [`then the fallback groups: ${fallbacks.join(" → ")}`] : []),
    "",
  ].join("\n");
}

/** A member's context window as explain shows it: its size, and whether this request fits it. */
function windowNote(window: number | undefined, selected: boolean, fits: boolean): string {
  if (window === undefined) return "none";
  return selected && !fits ? `${window} too small` : String(window);
}

/** `--header "name: value"` as the request's headers. */
function requestHeaders(header: string | undefined): Headers {
  const headers = new Headers();
  if (header === undefined) return headers;
  const colon = header.indexOf(":");
  const name = header.slice(0, colon).trim();
  try {
    if (colon < 1) throw new Error();
    headers.set(name, header.slice(colon + 1).trim());
  } catch {
    throw new UsageError(`--header must be "name: value", got "${header}"`);
  }
  return headers;
}

function clip(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}…` : key;
}

/** The client's format when not given: the first (in the registry's order) whose request shape the body has. */
function formatOfBody(body: Record<string, unknown>): FormatId {
  const fits = (id: FormatId) => !isRouterError(FORMATS[id].peekRequest(body, "generate"));
  return FORMAT_IDS.find(fits) ?? FALLBACK_FORMAT;
}
