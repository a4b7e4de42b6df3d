/**
 * Raw document → RouterConfig, plus the checks a schema cannot express (uniqueness, references,
 * JSON inside strings, sizes). It runs even when schema validation failed, so every piece is read
 * defensively: a wrongly-typed value has already been reported and is simply skipped here.
 * Models are read in model-entry.ts, server settings in server-settings.ts, keys in keys.ts,
 * state settings in state-settings.ts.
 */
import { proxyCredentials } from "../log";
import {
  DEFAULT_AFFINITY,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_STRATEGY,
  DEFAULT_WEIGHT,
} from "./defaults";
import { resolveFallbacks } from "./fallbacks";
import type { LoadedKeysFile } from "./keys-file";
import { keysOf } from "./keys";
import { modelConfig, timeouts } from "./model-entry";
import type { Reporter } from "./reporter";
import { serverSettings } from "./server-settings";
import { list, mapping, type Mapping } from "./shape";
import { stateSettings } from "./state-settings";
import {
  AFFINITIES,
  DEFAULT_TIMEOUTS,
  STRATEGIES,
  type Affinity,
  type GroupConfig,
  type GroupMember,
  type ModelConfig,
  type RouterConfig,
  type Strategy,
} from "./types";
import { closest } from "./validate";

/** `dir`: the config file's directory, which relative paths in it are resolved against. */
export function normalise(
  r: Reporter,
  source: string,
  dir: string,
  keysFile?: LoadedKeysFile,
): RouterConfig {
  const root = mapping(r.data);
  const models = new Map<string, ModelConfig>();
  const firstModel = new Map<string, string>();
  const modelList = list(root.model_list);
  let everyModelNamed = Array.isArray(root.model_list);
  const globalTimeouts = timeouts(mapping(root.router_settings).timeouts, DEFAULT_TIMEOUTS);

  modelList.forEach((entry, i) => {
    const at = `/model_list/${i}`;
    const model = modelConfig(r, mapping(entry), at, globalTimeouts);
    if (!model.name) {
      everyModelNamed = false;
      return;
    }
    const first = firstModel.get(model.name);
    if (first !== undefined) {
      r.error(
        "DUPLICATE_NAME",
        `${at}/model_name`,
        `duplicate model_name "${model.name}" (first defined at ${where(r, first)})`,
      );
    } else {
      firstModel.set(model.name, `${at}/model_name`);
      models.set(model.name, model);
    }
  });

  const settings = mapping(root.router_settings);
  const defaultAffinity = affinityOf(settings.affinity, DEFAULT_AFFINITY);
  const defaultAttempts = attemptsOf(settings.max_attempts, DEFAULT_MAX_ATTEMPTS);
  const groups = new Map<string, GroupConfig>();
  const firstGroup = new Map<string, string>();
  list(settings.model_groups).forEach((entry, i) => {
    const at = `/router_settings/model_groups/${i}`;
    const group = mapping(entry);
    const name = typeof group.name === "string" ? group.name : "";
    const members = groupMembers(r, group, at, name, everyModelNamed ? models : undefined);
    if (!name) return;
    const first = firstGroup.get(name);
    if (first !== undefined) {
      r.error(
        "DUPLICATE_NAME",
        `${at}/name`,
        `duplicate group name "${name}" (first defined at ${where(r, `${first}/name`)})`,
      );
    } else {
      firstGroup.set(name, at);
      groups.set(name, {
        name,
        members,
        affinity: affinityOf(group.affinity, defaultAffinity),
        maxAttempts: attemptsOf(group.max_attempts, defaultAttempts),
        fallbacks: list(group.fallbacks).filter((f): f is string => typeof f === "string"),
      });
    }
  });
  resolveFallbacks(r, groups, firstGroup);

  const strategy = STRATEGIES.includes(settings.strategy as Strategy)
    ? (settings.strategy as Strategy)
    : DEFAULT_STRATEGY;
  const keys = keysOf(r, source, keysFile, [...groups.keys()]);
  const state = stateSettings(r, settings, dir);
  return {
    source,
    models,
    groups,
    strategy,
    affinityKeys: list(settings.affinity_keys)
      .filter((k): k is string => typeof k === "string")
      .map((k) => k.toLowerCase()),
    server: serverSettings(r, mapping(root.server_settings)),
    keys: keys.keys,
    ...(keysFile ? { keysFile: keysFile.path } : {}),
    state,
    secrets: [...new Set([...keys.plain, ...proxyCredentials(state.url)])],
    warnings: r.warnings,
  };
}

function groupMembers(
  r: Reporter,
  group: Mapping,
  at: string,
  groupName: string,
  known: Map<string, ModelConfig> | undefined,
): GroupMember[] {
  const members: GroupMember[] = [];
  const firstAt = new Map<string, string>();
  list(group.models).forEach((entry, i) => {
    const m = mapping(entry);
    const mp = `${at}/models/${i}`;
    const name = typeof m.name === "string" ? m.name : "";
    if (name) {
      const first = firstAt.get(name);
      if (first !== undefined) {
        r.error(
          "DUPLICATE_NAME",
          `${mp}/name`,
          `model "${name}" is listed twice in group "${groupName}" (first at ${where(r, first)})`,
        );
      }
      firstAt.set(name, first ?? `${mp}/name`);
      // `known` is withheld when some model_list entry lacks a usable name, to avoid false alarms.
      if (known && !known.has(name))
        r.error("UNKNOWN_MODEL", `${mp}/name`, unknownModel(name, [...known.keys()]));
    }
    const member: GroupMember = {
      model: name,
      weight: typeof m.weight === "number" ? m.weight : DEFAULT_WEIGHT,
    };
    if (
      typeof m.max_parallel === "number" &&
      Number.isInteger(m.max_parallel) &&
      m.max_parallel > 0
    )
      member.maxParallel = m.max_parallel;
    if (typeof m.selector === "string") {
      member.selector = m.selector;
      member.selectorPos = r.pos(`${mp}/selector`);
    }
    members.push(member);
  });
  return members;
}

function affinityOf(value: unknown, fallback: Affinity): Affinity {
  return AFFINITIES.includes(value as Affinity) ? (value as Affinity) : fallback;
}

function attemptsOf(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : fallback;
}

function unknownModel(name: string, defined: string[]): string {
  const guess = closest(name, defined);
  if (guess) return `model "${name}" is not defined in model_list; did you mean "${guess}"?`;
  const shown = defined.length > 8 ? [...defined.slice(0, 8), "..."] : defined;
  return `model "${name}" is not defined in model_list (defined: ${shown.join(", ")})`;
}

function where(r: Reporter, pointer: string): string {
  const pos = r.pos(pointer);
  return pos ? `line ${pos.line}, col ${pos.col}` : r.path(pointer);
}
