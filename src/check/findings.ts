import { isLoopback } from "../auth";
import type { ConfigIssue, ConfigIssueCode, KeyConfig, RouterConfig } from "../config/types";

/**
 * What `--check` warns about in a config that loads: the loader's own warnings, and what only
 * matters once the router serves — who may use it on the address it listens on, and what its
 * answers cost. Warnings never change the exit code.
 */
const FINDING_CODES = {
  OPEN_ACCESS: "neither keys nor a router token, on an address other than loopback",
  NO_LIMITS: "a key without rpm, tpm, max_parallel or budget, on an address other than loopback",
  NO_PRICING: "a model without pricing: its answers cost 0 in spend and budgets",
} as const;

export interface Finding extends Omit<ConfigIssue, "code"> {
  code: ConfigIssueCode | keyof typeof FINDING_CODES;
}

/** Where the router would listen, as -i and -t (or LLM_ROUTER_TOKEN) give it. */
export interface Listen {
  ip: string;
  token?: string;
}

/** `listen` undefined: who may connect is not known, so only the config's own findings are made. */
export function configFindings(config: RouterConfig, listen?: Listen): Finding[] {
  const out: Finding[] = [...config.warnings];
  if (listen && !isLoopback(listen.ip)) out.push(...accessFindings(config, listen));
  let i = 0;
  for (const model of config.models.values()) {
    if (!model.pricing)
      out.push({
        code: "NO_PRICING",
        path: `model_list[${i}].llm_params`,
        message: `model "${model.name}" has no pricing: it costs 0 in spend and budgets`,
      });
    i++;
  }
  return out;
}

function accessFindings(config: RouterConfig, { ip, token }: Listen): Finding[] {
  if (config.keys.length === 0) {
    if (token) return [];
    return [
      {
        code: "OPEN_ACCESS",
        path: "",
        message: `no keys and no token (-t or LLM_ROUTER_TOKEN) with -i ${ip}: anyone who can reach the port can use your API keys`,
      },
    ];
  }
  const index = new Map<string | undefined, number>();
  const out: Finding[] = [];
  for (const key of config.keys) {
    // Keys keep their order within each file, so counting per file gives each one's index there.
    const i = index.get(key.file) ?? 0;
    index.set(key.file, i + 1);
    if (limited(key)) continue;
    out.push({
      code: "NO_LIMITS",
      path: `keys[${i}]`,
      ...(key.pos ? { pos: key.pos } : {}),
      ...(key.file ? { file: key.file } : {}),
      message: `key "${key.name}" has no rpm, tpm, max_parallel or budget: with -i ${ip}, whoever holds it can use the upstreams without limit`,
    });
  }
  return out;
}

function limited(key: KeyConfig): boolean {
  return (
    key.rpm !== undefined ||
    key.tpm !== undefined ||
    key.maxParallel !== undefined ||
    key.budget !== undefined
  );
}

/** `file:line:col: path: message [CODE]`, as the loader's issues are written. */
export function formatFinding(file: string, f: Finding): string {
  const at = f.file ?? file;
  const where = f.pos ? `${at}:${f.pos.line}:${f.pos.col}` : at;
  return `${where}: ${f.path ? f.path + ": " : ""}${f.message} [${f.code}]`;
}
