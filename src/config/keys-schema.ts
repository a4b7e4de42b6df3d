/**
 * TypeBox schema of one client key (`keys:` in config.yaml, and each entry of a keys_file), and
 * of a keys_file as a whole: a list of keys, or a mapping whose `keys:` holds that list.
 */
import { Type } from "@sinclair/typebox";
import { BUDGET_PERIODS } from "./types";

const perMinute = (what: string) =>
  Type.Optional(
    Type.Integer({ minimum: 1, description: `Most ${what} per sliding minute. Default no limit.` }),
  );

const KeyEntry = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description:
        'Unique name of the key, shown in logs, metrics and /v1/usage (never the secret). "admin" is reserved for the router token.',
    }),
    secret: Type.String({
      // Never the value: a secret typed without quotes may have become a number.
      errorMessage: "secret must be a string (quote it if YAML reads it as something else)",
      description:
        "What the client presents (as Bearer, x-api-key, x-goog-api-key or ?key=): the plain secret, usually ${ENV_VAR}, or sha256:<64 hex digits> of it so the file holds no secret. Must not be empty; `llm-router keys new` makes one.",
    }),
    groups: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          "The groups this key may use: names, or globs with * and ?. Default every group.",
      }),
    ),
    rpm: perMinute("requests"),
    tpm: perMinute("tokens (input plus output; a request's estimate is reserved, then corrected)"),
    max_parallel: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Most requests of this key in flight at once. Default no limit.",
      }),
    ),
    budget: Type.Optional(
      Type.Object(
        {
          usd: Type.Number({
            exclusiveMinimum: 0,
            description:
              "Spend in USD (from the models' pricing) after which the key is refused until the period ends.",
          }),
          period: Type.Union(
            BUDGET_PERIODS.map((p) => Type.Literal(p)),
            {
              description:
                "The budget's period, in UTC: day (from 00:00), week (from Monday), month (from the 1st) or total (never resets).",
            },
          ),
        },
        { description: "A spending limit per period. Default none." },
      ),
    ),
    expires: Type.Optional(
      Type.String({
        description:
          "When the key stops working: a date (2026-12-31, from 00:00 UTC that day) or an ISO date-time (2026-12-31T18:00:00+01:00; without an offset, UTC). Default never.",
      }),
    ),
    metadata: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
          description: "A value, kept as a string.",
          errorMessage: "metadata values must be strings, numbers or booleans",
        }),
        { description: "Free-form values (team, owner) echoed into the request log line." },
      ),
    ),
  },
  {
    // Never the value: a secret listed on its own is a likely mistake here.
    errorMessage: "each key must be a mapping with at least name and secret",
    description: "A client key: its secret, the groups it may use, its limits and budget.",
  },
);

export const KeysList = Type.Array(KeyEntry, {
  errorMessage: "expected a list of keys",
  description: "Client keys. Without keys (and without a router token) the router is open.",
});

/** A keys_file: the list itself, or `keys:` holding it. */
export const KeysFile = Type.Union([KeysList, Type.Object({ keys: KeysList })], {
  description: "A list of keys, or a mapping with keys: holding the list.",
});
