import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  basePath,
  CODEX_JS,
  LOOPBACK_ONLY,
  nodeBin,
  targetOf,
  type Drive,
  type Invocation,
} from "./cli";
import {
  CODEX_CATALOG,
  codexCatalog,
  codexConfig,
  keyEnv,
  renderToml,
  type TomlDoc,
} from "./recipes";

/**
 * The real Codex CLI, headless (`codex exec`), talking to the router as the recipe's custom
 * Responses provider: its config.toml and a model catalog in a scratch CODEX_HOME, nothing from
 * the real home, approvals off, no retries, and only the loopback reachable.
 */

export type CodexSandbox = "read-only" | "workspace-write";

/**
 * The group described like the models Codex ships with: freeform apply_patch, a shell tool, and
 * reasoning, which makes Codex send `reasoning.effort` and replay its reasoning items (the
 * recipe's catalog, like Codex's fallback metadata, has no reasoning levels).
 */
function reasoningCatalog(group: string) {
  const level = (effort: string) => ({ effort, description: effort });
  return {
    models: [
      {
        slug: group,
        display_name: group,
        description: "an llm-router group",
        base_instructions: "You are a coding agent working in the user's directory.",
        apply_patch_tool_type: "freeform",
        shell_type: "shell_command",
        default_reasoning_level: "medium",
        supported_reasoning_levels: ["low", "medium", "high"].map(level),
        supports_reasoning_summaries: true,
        visibility: "list",
        supported_in_api: true,
        priority: 1,
        support_verbosity: false,
        truncation_policy: { mode: "tokens", limit: 10000 },
        experimental_supported_tools: [],
      },
    ],
  };
}

export interface CodexOptions {
  /**
   * The provider's `request_max_retries` and `stream_max_retries`: 0 (see below) unless a test
   * is about Codex's own retrying.
   */
  retries?: number;
  /**
   * The model catalog: the recipe's as it is ("recipe"); none, Codex's own, as the README's
   * alternative has it for a group named after a model Codex knows ("builtin"); or one that
   * describes the group as a reasoning model ("reasoning", the default), so conversions of
   * reasoning run.
   */
  catalog?: "recipe" | "builtin" | "reasoning";
}

/** Two documents' keys together, tables merged key by key; `b` wins a clash. */
const merge = (a: TomlDoc, b: TomlDoc): TomlDoc => ({
  top: { ...a.top, ...b.top },
  tables: Object.fromEntries(
    [...new Set([...Object.keys(a.tables), ...Object.keys(b.tables)])].map((name) => [
      name,
      { ...a.tables[name], ...b.tables[name] },
    ]),
  ),
});

/** What the sandbox adds to the recipe's config.toml, and the catalog that replaces its own. */
function sandboxed(
  recipe: TomlDoc,
  sandbox: CodexSandbox,
  catalogPath: string | undefined,
  opts: CodexOptions,
): TomlDoc {
  const [provider] = Object.keys(recipe.tables).filter((t) => t.startsWith("model_providers."));
  return merge(recipe, {
    top: {
      ...(catalogPath ? { model_catalog_json: catalogPath } : {}),
      approval_policy: "never",
      sandbox_mode: sandbox,
      check_for_update_on_startup: false,
    },
    tables: {
      features: {
        // The plugin marketplace is synced with git from github.com and chatgpt.com at startup.
        plugins: false,
        // Otherwise an unreachable router is retried until the run's time limit, hiding the cause.
        unbounded_connection_retries: false,
      },
      analytics: { enabled: false },
      feedback: { enabled: false },
      otel: { exporter: "none" },
      // A retried request or stream would hide a failed conversion behind a second attempt.
      [provider!]: {
        request_max_retries: opts.retries ?? 0,
        stream_max_retries: opts.retries ?? 0,
      },
    },
  });
}

/** `codex exec` in the given sandbox: read-only to read a file, workspace-write to patch one. */
export function codex(
  sandbox: CodexSandbox,
  opts: CodexOptions = {},
): (d: Drive) => Promise<Invocation> {
  return async (d) => {
    const codexHome = join(d.scratch.home, ".codex");
    // Codex refuses to put its helper binaries (the sandbox launcher, apply_patch) in a CODEX_HOME
    // inside TMPDIR, so the temporary directory is a sibling of the home.
    const tmp = join(d.scratch.root, "tmp");
    await mkdir(codexHome, { recursive: true });
    await mkdir(tmp, { recursive: true });
    // The recipe names its catalog by a path relative to config.toml, as the README has it.
    let catalogPath: string | undefined;
    if ((opts.catalog ?? "reasoning") === "reasoning") {
      catalogPath = join(codexHome, "reasoning-catalog.json");
      await writeFile(catalogPath, JSON.stringify(reasoningCatalog(d.group), null, 2));
    } else if (opts.catalog === "recipe") {
      await writeFile(join(codexHome, CODEX_CATALOG), JSON.stringify(codexCatalog(targetOf(d))));
    }
    const config = sandboxed(codexConfig(targetOf(d)), sandbox, catalogPath, opts);
    // The README's alternative: the same config.toml without the model_catalog_json line.
    if (opts.catalog === "builtin") delete config.top.model_catalog_json;
    await writeFile(join(codexHome, "config.toml"), renderToml(config));
    const env = {
      ...LOOPBACK_ONLY,
      PATH: basePath(),
      HOME: d.scratch.home,
      CODEX_HOME: codexHome,
      TMPDIR: tmp,
      ...keyEnv(targetOf(d)),
    };
    // --ephemeral: no session files, nothing reads them back; --strict-config: a key this
    // version no longer knows fails the run instead of being ignored.
    const args = [
      "exec",
      "--skip-git-repo-check",
      "--ephemeral",
      "--strict-config",
      "--color",
      "never",
      d.prompt,
    ];
    return { cmd: [nodeBin(), CODEX_JS, ...args], cwd: d.scratch.work, env };
  };
}
