/**
 * What a user sets to point each agent CLI at the router: the one place that says it. The
 * README's agent recipes are rendered from here (tests/docs/agents.test.ts compares them with the
 * README's blocks), and the drivers that run the real CLIs take these settings as they are and
 * add only what a test sandbox needs (a scratch home, no telemetry, no update checks).
 */

export interface Target {
  /** the router's URL, without a path */
  base: string;
  /** the router's token or a key of its `keys` */
  key: string;
  /** the group the agent's main model names */
  group: string;
  /** the group of its small model (titles, summaries, background calls); `group` when unset */
  smallGroup?: string;
}

/**
 * The variable the agents' config files read the key from (Codex's `env_key`, opencode's
 * `{env:…}`, Qwen Code's `envKey`), and the one the README's shell recipes take it from: the
 * name the router itself reads its token from, so one `export` serves both.
 */
export const KEY_VAR = "LLM_ROUTER_TOKEN";

/** The provider id the config files give the router. */
const PROVIDER = "llm-router";

const small = (t: Target) => t.smallGroup ?? t.group;

/**
 * Claude Code: the base URL, the key (sent as `x-api-key`) and a group for every model it may
 * ask for. Background calls (titles, summaries) go to the small/fast model, which is the haiku
 * model unless ANTHROPIC_SMALL_FAST_MODEL (read first, by older versions alone) says otherwise;
 * `/model opus` and `/model sonnet` pick the other two. Any of them left unset asks for a real
 * Claude model id, which no group is named after.
 */
export function claudeCodeEnv(t: Target): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: t.base,
    ANTHROPIC_API_KEY: t.key,
    ANTHROPIC_MODEL: t.group,
    ANTHROPIC_DEFAULT_OPUS_MODEL: t.group,
    ANTHROPIC_DEFAULT_SONNET_MODEL: t.group,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: small(t),
    ANTHROPIC_SMALL_FAST_MODEL: small(t),
  };
}

/** Gemini CLI: the base URL, the key (sent as `x-goog-api-key`) and the model. */
export function geminiCliEnv(t: Target): Record<string, string> {
  return { GOOGLE_GEMINI_BASE_URL: t.base, GEMINI_API_KEY: t.key, GEMINI_MODEL: t.group };
}

/**
 * Gemini CLI's `~/.gemini/settings.json`: with GOOGLE_GEMINI_BASE_URL set and no auth type
 * chosen it takes the base URL for a "gateway" login, which it refuses without a prompt to ask
 * (exit code 41 under -p); the API-key login sends the key to that base URL instead.
 */
export function geminiCliSettings() {
  return { security: { auth: { selectedType: "gemini-api-key" } } };
}

type TomlValue = string | number | boolean;

/** A TOML document of scalars: top-level keys, then tables of keys. */
export interface TomlDoc {
  top: Record<string, TomlValue>;
  tables: Record<string, Record<string, TomlValue>>;
}

/**
 * Codex's model catalog, named by `model_catalog_json` and read from beside config.toml (Codex
 * resolves a relative path against the config file's folder).
 */
export const CODEX_CATALOG = "llm-router-models.json";

/**
 * Codex's `~/.codex/config.toml`: the router as a provider speaking the Responses API, the
 * group as the model, described by the catalog below. Codex sends the value of the variable
 * `env_key` names as a bearer token.
 */
export function codexConfig(t: Target): TomlDoc {
  return {
    top: { model: t.group, model_provider: PROVIDER, model_catalog_json: CODEX_CATALOG },
    tables: {
      [`model_providers.${PROVIDER}`]: {
        name: PROVIDER,
        base_url: `${t.base}/v1`,
        env_key: KEY_VAR,
        wire_api: "responses",
      },
    },
  };
}

/**
 * The system prompt Codex sends for the group: a catalog entry must carry one, and it takes the
 * place of the prompt Codex gives a model it has no entry for.
 */
const CODEX_INSTRUCTIONS = "You are a coding agent. Edit files with apply_patch.";

/**
 * The catalog `model_catalog_json` names, in place of the one Codex ships with. Codex picks a
 * model's tools by its catalog entry, and a name it finds no entry for (every group name) gets
 * fallback metadata with no `apply_patch` (nor does `[features] apply_patch_freeform` add one in
 * Codex 0.171), so it cannot edit files. The entry holds the fields Codex 0.171 requires; its
 * shell, truncation and lack of reasoning levels are the fallback's, and its apply_patch is the
 * freeform one of the models Codex ships with.
 */
export function codexCatalog(t: Target) {
  return {
    models: [
      {
        slug: t.group,
        display_name: t.group,
        base_instructions: CODEX_INSTRUCTIONS,
        apply_patch_tool_type: "freeform",
        shell_type: "unified_exec",
        supported_reasoning_levels: [],
        visibility: "list",
        supported_in_api: true,
        priority: 1,
        support_verbosity: false,
        truncation_policy: { mode: "bytes", limit: 10000 },
        experimental_supported_tools: [],
      },
    ],
  };
}

/** The environment the Codex and opencode configs read the key from. */
export const keyEnv = (t: Target): Record<string, string> => ({ [KEY_VAR]: t.key });

/** TOML basic strings take JSON's escapes, so a JSON string literal is a valid TOML one. */
const tomlValue = (v: TomlValue) => (typeof v === "string" ? JSON.stringify(v) : String(v));

export function renderToml(doc: TomlDoc): string {
  const lines = (entries: Record<string, TomlValue>) =>
    Object.entries(entries).map(([k, v]) => `${k} = ${tomlValue(v)}`);
  const sections = [
    lines(doc.top),
    ...Object.entries(doc.tables).map(([name, t]) => [`[${name}]`, ...lines(t)]),
  ];
  return sections.map((s) => s.join("\n")).join("\n\n") + "\n";
}

/**
 * opencode's three ways to reach the router: its built-in `openai` provider (the AI SDK's
 * Responses model), an OpenAI-compatible provider (Chat Completions) or an Anthropic provider
 * (Messages). The last two are packages opencode ships with, so nothing is downloaded.
 */
export type OpencodeKind = "responses" | "chat" | "anthropic";

const OPENCODE_PACKAGE: Record<Exclude<OpencodeKind, "responses">, string> = {
  chat: "@ai-sdk/openai-compatible",
  anthropic: "@ai-sdk/anthropic",
};

/** The provider id the config defines. */
export const opencodeProvider = (kind: OpencodeKind) =>
  kind === "responses" ? "openai" : PROVIDER;

/**
 * `opencode.json` (in `~/.config/opencode/` or the project): the router as a provider, the group
 * declared as its model (opencode knows a provider's models from a catalog, which has no groups)
 * and chosen as `model` and `small_model`, which titles sessions. The key comes from KEY_VAR.
 */
export function opencodeConfig(t: Target, kind: OpencodeKind) {
  const id = opencodeProvider(kind);
  const models = Object.fromEntries([t.group, small(t)].map((g) => [g, { name: g }]));
  const provider = {
    ...(kind === "responses" ? {} : { npm: OPENCODE_PACKAGE[kind], name: PROVIDER }),
    options: { baseURL: `${t.base}/v1`, apiKey: `{env:${KEY_VAR}}` },
    models,
  };
  return {
    $schema: "https://opencode.ai/config.json",
    model: `${id}/${t.group}`,
    small_model: `${id}/${small(t)}`,
    provider: { [id]: provider },
  };
}

/**
 * Qwen Code's `~/.qwen/settings.json`: the router as an OpenAI-compatible (Chat Completions)
 * model provider whose key is read from KEY_VAR, chosen as the model. The same settings can come
 * from OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL, but the router's own config reads
 * OPENAI_API_KEY for OpenAI itself.
 */
export function qwenCodeSettings(t: Target) {
  return {
    modelProviders: {
      openai: [{ id: t.group, name: t.group, baseUrl: `${t.base}/v1`, envKey: KEY_VAR }],
    },
    security: { auth: { selectedType: "openai" } },
    model: { name: t.group },
  };
}

/** `export` lines; a value is quoted only when the shell would split or expand it otherwise. */
function renderExports(env: Record<string, string>): string {
  const quote = (v: string) => (/^[\w.:/@$-]*$/.test(v) ? v : JSON.stringify(v));
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${quote(v)}\n`)
    .join("");
}

const WIDTH = 100;
const oneLine = (v: unknown): string => {
  if (Array.isArray(v)) return v.length ? `[ ${v.map(oneLine).join(", ")} ]` : "[]";
  if (v && typeof v === "object") {
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`);
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  return JSON.stringify(v);
};

/** JSON with two-space indents; an object or array that fits its line stays on it. */
function renderJson(value: unknown): string {
  // `prefix` is what precedes the value on its line; the top level is always spread out.
  const render = (v: unknown, indent: string, prefix: string | undefined): string => {
    const flat = oneLine(v);
    const fits = prefix !== undefined && prefix.length + flat.length <= WIDTH;
    if (!v || typeof v !== "object" || fits) return flat;
    const inner = indent + "  ";
    const item = (head: string, x: unknown) => head + render(x, inner, head);
    const [open, close, items] = Array.isArray(v)
      ? ["[", "]", v.map((x) => item(inner, x))]
      : ["{", "}", Object.entries(v).map(([k, x]) => item(`${inner}${JSON.stringify(k)}: `, x))];
    return `${open}\n${items.join(",\n")}\n${indent}${close}`;
  };
  return render(value, "", undefined) + "\n";
}

/** The README's placeholders: the quick start's address, and the key from KEY_VAR. */
export const README_TARGET = { base: "http://localhost:8000", key: `$${KEY_VAR}` };

/** One README block: the settings it shows, in the form its fence's language writes them. */
export type ReadmeBlock =
  | { lang: "sh"; env: Record<string, string> }
  | { lang: "json"; value: object }
  | { lang: "toml"; doc: TomlDoc };

const on = (group: string) => ({ ...README_TARGET, group });

/** Each README block of the agent recipes, by its marker id. */
export const README_BLOCKS: Record<string, ReadmeBlock> = {
  "agent-claude-code": { lang: "sh", env: claudeCodeEnv(on("claude")) },
  "agent-gemini-cli": { lang: "sh", env: geminiCliEnv(on("gemini")) },
  "agent-gemini-cli-settings": { lang: "json", value: geminiCliSettings() },
  "agent-codex": { lang: "toml", doc: codexConfig(on("gpt")) },
  "agent-codex-catalog": { lang: "json", value: codexCatalog(on("gpt")) },
  "agent-opencode-responses": { lang: "json", value: opencodeConfig(on("gpt"), "responses") },
  "agent-opencode-chat": { lang: "json", value: opencodeConfig(on("gpt"), "chat") },
  "agent-opencode-anthropic": { lang: "json", value: opencodeConfig(on("claude"), "anthropic") },
  "agent-qwen-code": { lang: "json", value: qwenCodeSettings(on("gpt")) },
};

/** The text of a README block, without its fence. */
export function renderBlock(b: ReadmeBlock): string {
  if (b.lang === "sh") return renderExports(b.env);
  if (b.lang === "toml") return renderToml(b.doc);
  return renderJson(b.value);
}
