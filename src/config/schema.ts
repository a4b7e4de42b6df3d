/**
 * TypeBox schema of the raw config.yaml document (snake_case, before normalisation).
 *
 * It serves two readers: the loader validates against it, and `scripts/write-schema.ts` publishes it
 * as config.schema.json for editors. Unknown keys are deliberately allowed (no
 * `additionalProperties: false`) because the loader only warns about them, and an editor should agree.
 * `errorMessage` / `patternErrorMessage` are the vscode-json-languageservice keywords, read by the loader too.
 * Defaults come from defaults.ts; the sections live in model-schema.ts, server-schema.ts,
 * keys-schema.ts and state-settings.ts.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import {
  DEFAULT_AFFINITY,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_STRATEGY,
  DEFAULT_WEIGHT,
} from "./defaults";
import { KeysList } from "./keys-schema";
import { ModelEntry, TimeoutsEntry } from "./model-schema";
import { ServerSettingsEntry } from "./server-schema";
import { StateSchema } from "./state-settings";
import { AFFINITIES, STRATEGIES } from "./types";

const GroupMemberEntry = Type.Object(
  {
    name: Type.String({ minLength: 1, description: "A model_name from model_list." }),
    weight: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_WEIGHT,
        description: `Relative share of traffic, a non-negative integer (default ${DEFAULT_WEIGHT}); 0 disables the member.`,
      }),
    ),
    selector: Type.Optional(
      Type.String({
        description:
          "jq expression over the request; the member is eligible only when it yields true.",
      }),
    ),
    max_parallel: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "Most requests this member's model may have in flight, counted across every group; while it has that many, the member is skipped (its sessions go to the next member in their order).",
      }),
    ),
  },
  { description: "A model in the group." },
);

const GroupEntry = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description: "Unique group name; clients ask for it as the model.",
    }),
    models: Type.Array(GroupMemberEntry, {
      minItems: 1,
      description: "The models the group balances over.",
    }),
    affinity: Type.Optional(
      affinity("This group's session affinity; default router_settings.affinity."),
    ),
    max_attempts: Type.Optional(
      maxAttempts(
        "Most models one request to this group tries, fallback groups included; default router_settings.max_attempts.",
      ),
    ),
    fallbacks: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          "Groups tried in order (their members, strategy and selectors) when no member of this group is eligible or every attempt failed before the answer started; within the same max_attempts. A cycle is a config error.",
      }),
    ),
  },
  { description: "A named set of models that requests are balanced across." },
);

function affinity(description: string) {
  return Type.Union(
    AFFINITIES.map((a) => Type.Literal(a)),
    { description },
  );
}

function maxAttempts(description: string) {
  return Type.Integer({ minimum: 1, description });
}

/** "roundrobin (default), random or leastconn". */
const strategies = STRATEGIES.map((s) => (s === DEFAULT_STRATEGY ? `${s} (default)` : s))
  .join(", ")
  .replace(/, ([^,]*)$/, " or $1");

export const RawConfig = Type.Object(
  {
    server_settings: Type.Optional(ServerSettingsEntry),
    model_list: Type.Array(ModelEntry, { minItems: 1, description: "The upstream models." }),
    router_settings: Type.Object(
      {
        strategy: Type.Optional(
          Type.Union(
            STRATEGIES.map((s) => Type.Literal(s)),
            {
              default: DEFAULT_STRATEGY,
              description: `How a member is picked within a group: ${strategies}.`,
            },
          ),
        ),
        affinity: Type.Optional(
          Type.Union(
            AFFINITIES.map((a) => Type.Literal(a)),
            {
              default: DEFAULT_AFFINITY,
              description: `session (default ${DEFAULT_AFFINITY}): requests of one conversation go to the same member, found by weighted rendezvous hashing of the conversation's session key, so every router process agrees with no shared state; none: the strategy decides each request alone.`,
            },
          ),
        ),
        affinity_keys: Type.Optional(
          Type.Array(Type.String({ minLength: 1, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
            description:
              "Request headers that carry a session key, checked in order before the ones agents are known to send (x-claude-code-session-id, Codex's and opencode's session headers).",
          }),
        ),
        max_attempts: Type.Optional(
          Type.Integer({
            minimum: 1,
            default: DEFAULT_MAX_ATTEMPTS,
            description: `Most models one request tries, fallback groups included. Default ${DEFAULT_MAX_ATTEMPTS}.`,
          }),
        ),
        model_groups: Type.Array(GroupEntry, {
          minItems: 1,
          description: "The groups clients can ask for.",
        }),
        timeouts: Type.Optional(TimeoutsEntry),
        ...StateSchema,
      },
      { description: "Routing settings." },
    ),
    keys: Type.Optional(KeysList),
    keys_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "A YAML file of more keys (a list, or a mapping with keys:), relative to this file's directory; read with the config and reloaded when it changes. ${VAR} works in it as here.",
      }),
    ),
  },
  { description: "llm-router configuration." },
);

/** The text of config.schema.json; the file is committed, so this must be deterministic. */
export function renderJsonSchema(): string {
  const doc = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "llm-router config.yaml",
    ...(RawConfig as TSchema),
  };
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  return JSON.stringify(doc, null, 2) + "\n";
}
