/**
 * `--help` in the layout command-line tools of the Rust ecosystem print (clap's): a sentence,
 * `Usage:` lines, then `Arguments:`, `Commands:` and `Options:`, each a left-aligned column of
 * names and one of descriptions, defaults as `[default: …]`. citty's own renderer right-aligns
 * the names and pads every line to the widest, which reads poorly in a terminal and a pipe alike.
 */

/** The parts of a citty argument definition the help shows. */
interface ArgDef {
  type: "string" | "boolean" | "positional";
  alias?: string;
  default?: string;
  valueHint?: string;
  description?: string;
  required?: boolean;
}

export interface HelpPage {
  about: string;
  /** Each a usage line after the program name, e.g. `[OPTIONS]`. */
  usage: string[];
  /** The program (or command) the usage lines start with. */
  name: string;
  args: Record<string, ArgDef>;
  commands?: [name: string, summary: string][];
  /** A closing line, e.g. where subcommands' own options are. */
  footer?: string;
}

export function renderHelp(page: HelpPage): string {
  const out = [page.about, ""];
  page.usage.forEach((line, i) => {
    const lead = i === 0 ? "Usage: " : "       ";
    out.push(`${lead}${page.name} ${line}`.trimEnd());
  });
  const positionals = Object.entries(page.args).filter(([, d]) => d.type === "positional");
  const options = Object.entries(page.args).filter(([, d]) => d.type !== "positional");
  const sections: [string, [string, string][]][] = [
    ["Arguments", positionals.map(([name, d]) => [argName(name, d), describe(d)])],
    ["Commands", page.commands ?? []],
    ["Options", options.map(([name, d]) => [optionName(name, d), describe(d)])],
  ];
  for (const [title, rows] of sections) {
    if (rows.length === 0) continue;
    const width = Math.max(...rows.map(([n]) => n.length));
    out.push("", `${title}:`);
    for (const [n, text] of rows) out.push(`  ${n.padEnd(width)}  ${text}`.trimEnd());
  }
  if (page.footer) out.push("", page.footer);
  return out.join("\n") + "\n";
}

function argName(name: string, d: ArgDef): string {
  const upper = `<${name.toUpperCase()}>`;
  return d.required === false ? `[${upper.slice(1, -1)}]` : upper;
}

function optionName(name: string, d: ArgDef): string {
  // A flag without a short form lines up with those that have one, as clap prints them.
  const short = d.alias ? `-${d.alias}, ` : "    ";
  const hint = d.valueHint && !choices(d) ? d.valueHint : name;
  const value = d.type === "string" ? ` <${hint.toUpperCase().replaceAll("-", "_")}>` : "";
  return `${short}--${name}${value}`;
}

/** A hint like `trace|debug|info` lists the values the option takes. */
function choices(d: ArgDef): string[] | undefined {
  return d.valueHint?.includes("|") ? d.valueHint.split("|") : undefined;
}

function describe(d: ArgDef): string {
  let text = d.description ?? "";
  if (d.default !== undefined) text += ` [default: ${d.default}]`;
  const values = choices(d);
  if (values) text += ` [possible values: ${values.join(", ")}]`;
  return text;
}
