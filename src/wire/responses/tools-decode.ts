import type { ToolChoice, ToolDef } from "../../ir/request";
import type { Warnings } from "../../ir/warning";
import type { ClientTool } from "../codec";
import { asObject, at, bad, fields, isObject, type Json } from "../read";

const { optBool, optObject, optString, reqString } = fields;

/**
 * A Responses client's tool declarations → IR tools. Functions are taken as they are; freeform
 * (`custom`) tools become functions of one string, `input`; a `namespace`'s tools are flattened
 * to `<namespace>__<name>`, kept apart from every other tool's name; built-in tools, which only
 * OpenAI runs, are dropped. `clientTools` remembers the client's own shape of each tool, so the
 * answer's calls can be given back in it.
 */

/** One list of declarations: the top-level `tools`, or a Responses Lite `additional_tools` item's. */
export interface ToolList {
  raw: unknown[];
  path: string;
}

export interface DecodedTools {
  tools: ToolDef[];
  /** The IR name of a namespaced tool, by `namespace \0 name`. */
  namespaced: Map<string, string>;
  /** The IR name of a namespaced tool by its name alone; null when several namespaces have one. */
  byInnerName: Map<string, string | null>;
  /** Every IR tool name. */
  names: Set<string>;
}

/** A declaration callable by the model, with the namespace it sits in. */
interface Callable {
  decl: Json;
  path: string;
  freeform: boolean;
  namespace?: { name: string; description?: string };
}

export function decodeTools(
  lists: ToolList[],
  clientTools: Map<string, ClientTool>,
  warnings: Warnings,
): DecodedTools {
  const callables: Callable[] = [];
  for (const { raw, path } of lists)
    raw.forEach((item, i) =>
      collect(asObject(item, at(path, i)), at(path, i), callables, warnings),
    );

  // Names of tools outside any namespace are the client's own: a flattened name never takes one.
  const names = new Set<string>();
  for (const c of callables) if (!c.namespace) names.add(reqString(c.decl, "name", c.path));
  const nextSuffix = new Map<string, number>();
  const unique = (base: string): string => {
    if (!names.has(base)) return (names.add(base), base);
    let n = nextSuffix.get(base) ?? 2;
    while (names.has(`${base}_${n}`)) n++;
    nextSuffix.set(base, n + 1);
    names.add(`${base}_${n}`);
    return `${base}_${n}`;
  };

  const out: DecodedTools = { tools: [], namespaced: new Map(), byInnerName: new Map(), names };
  for (const c of callables) {
    const name = reqString(c.decl, "name", c.path);
    const ns = c.namespace;
    const irName = ns ? unique(`${ns.name}__${name}`) : name;
    out.tools.push(toolDef(c, irName));
    if (ns) {
      out.namespaced.set(`${ns.name}\0${name}`, irName);
      out.byInnerName.set(name, out.byInnerName.has(name) ? null : irName);
    }
    if (ns || c.freeform)
      clientTools.set(irName, {
        name,
        ...(ns ? { namespace: ns.name } : {}),
        ...(c.freeform ? { freeform: true } : {}),
      });
  }
  return out;
}

function collect(t: Json, path: string, out: Callable[], warnings: Warnings): void {
  const type = reqString(t, "type", path);
  if (type === "function" || type === "custom") {
    out.push({ decl: t, path, freeform: type === "custom" });
    if (type === "custom") freeformWarning(warnings);
    return;
  }
  if (type !== "namespace") {
    warnings.once(
      "dropped",
      `tools[].type=${type}`,
      "a built-in tool only OpenAI can run; the upstream was not offered it",
    );
    return;
  }
  const name = reqString(t, "name", path);
  const description = optString(t, "description", path);
  const inner = fields.optArray(t, "tools", path) ?? bad(at(path, "tools"), "field required");
  inner.forEach((item, j) => {
    const p = at(at(path, "tools"), j);
    const d = asObject(item, p);
    const innerType = reqString(d, "type", p);
    if (innerType !== "function" && innerType !== "custom") {
      warnings.once(
        "dropped",
        `tools[].type=${innerType}`,
        "only functions and custom tools of a namespace can be offered to the upstream",
      );
      return;
    }
    if (innerType === "custom") freeformWarning(warnings);
    out.push({
      decl: d,
      path: p,
      freeform: innerType === "custom",
      namespace: description === undefined ? { name } : { name, description },
    });
  });
}

const freeformWarning = (warnings: Warnings) =>
  warnings.once(
    "approximated",
    "tools[].type=custom",
    "a freeform tool was declared as a function taking one string, `input`; its grammar is in the parameter's description",
  );

function toolDef(c: Callable, irName: string): ToolDef {
  const { decl, path } = c;
  const own = optString(decl, "description", path);
  const ns = c.namespace?.description;
  const description = ns && own ? `${ns}\n\n${own}` : (own ?? ns);
  const def: ToolDef = { name: irName, schema: {} };
  if (description !== undefined) def.description = description;
  if (c.freeform) {
    const format = optObject(decl, "format", path);
    def.schema = freeformSchema(format, at(path, "format"));
    def.freeform = format ? { format } : {};
    return def;
  }
  def.schema = optObject(decl, "parameters", path) ?? { type: "object", properties: {} };
  const strict = optBool(decl, "strict", path);
  if (strict !== undefined) def.strict = strict;
  return def;
}

/** The one-string function a freeform tool becomes; a grammar goes where the model reads it. */
function freeformSchema(format: Json | undefined, path: string): Record<string, unknown> {
  let description =
    "The tool's whole input as free text, exactly as the tool reads it (not JSON-encoded).";
  if (format?.type === "grammar") {
    const syntax = optString(format, "syntax", path) ?? "lark";
    const definition = optString(format, "definition", path) ?? "";
    description += ` It must be a sentence of this ${syntax} grammar:\n${definition}`;
  }
  return {
    type: "object",
    properties: { input: { type: "string", description } },
    required: ["input"],
    additionalProperties: false,
  };
}

/**
 * `tool_choice`: the modes as they are, a named function or custom tool by its IR name; a
 * choice of a built-in tool (dropped) or an allowed-tools subset cannot be said to the upstream.
 */
export function decodeToolChoice(
  v: unknown,
  tools: DecodedTools,
  warnings: Warnings,
): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") {
    if (v === "auto" || v === "none" || v === "required") return { type: v };
    return bad("tool_choice", `expected "auto", "none", "required" or an object, got "${v}"`);
  }
  if (!isObject(v)) return bad("tool_choice", "expected a string or an object");
  const type = reqString(v, "type", "tool_choice");
  if (type === "function" || type === "custom") {
    const name = reqString(v, "name", "tool_choice");
    const ns = optString(v, "namespace", "tool_choice");
    return { type: "tool", name: resolveName(name, ns, tools) };
  }
  if (type === "allowed_tools") {
    const mode = reqString(v, "mode", "tool_choice");
    if (mode !== "auto" && mode !== "required")
      bad("tool_choice.mode", `expected "auto" or "required", got "${mode}"`);
    warnings.add(
      "approximated",
      "tool_choice.allowed_tools",
      "the restriction to a subset of tools was dropped; its mode was kept",
    );
    return { type: mode };
  }
  warnings.add(
    "approximated",
    `tool_choice.type=${type}`,
    "a choice of a built-in tool the upstream was not offered; sent as auto",
  );
  return { type: "auto" };
}

/** The IR name of a tool the client named, with or without its namespace. */
export function resolveName(name: string, ns: string | undefined, tools: DecodedTools): string {
  if (ns !== undefined) return tools.namespaced.get(`${ns}\0${name}`) ?? name;
  if (tools.names.has(name)) return name;
  return tools.byInnerName.get(name) ?? name;
}
