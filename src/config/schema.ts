/**
 * TypeBox schema of the raw config.yaml document (snake_case, before normalisation).
 *
 * It serves two readers: the loader validates against it, and `scripts/write-schema.ts` publishes it
 * as config.schema.json for editors. Unknown keys are deliberately allowed (no
 * `additionalProperties: false`) because the loader only warns about them, and an editor should agree.
 * `errorMessage` / `patternErrorMessage` are the vscode-json-languageservice keywords, read by the loader too.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { API_TYPES, DEFAULT_API_BASE, DEFAULT_WEIGHT, STRATEGIES } from "./types";

/** Sizes accepted by max_body_size: plain bytes, or decimal (KB/MB/GB) and binary (KiB/MiB/GiB) units. */
export const SIZE_PATTERN = "^\\s*\\d+(\\.\\d+)?\\s*([kKMG]i?B|B)?\\s*$";

export const HeaderRewrite = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Null()], {
    description: "The header's new value, or null to remove the header.",
    errorMessage: "a header value must be a string, or null to remove the header",
  }),
  { description: "Header name → value (string) or null (remove the header)." },
);

export const BodyRewrite = Type.Record(Type.String(), Type.Unknown(), {
  description: "JSON merge patch (RFC 7396) applied to the upstream request body.",
});

const apiBaseDefaults = API_TYPES.map((t) => `${t}: ${DEFAULT_API_BASE[t]}`).join(", ");

const seconds = (what: string, dflt: string) =>
  Type.Optional(
    Type.Number({
      minimum: 0,
      description: `${what}, in seconds (0 = no limit). Default ${dflt}.`,
    }),
  );

export const TimeoutsEntry = Type.Object(
  {
    connect: seconds("Until the upstream accepts the request and sends its response headers", "10"),
    first_byte: seconds(
      "Until the first byte of the answer (for non-streamed answers, the whole answer)",
      "600",
    ),
    idle: seconds("Longest silence between two chunks of a streamed answer", "300"),
    total: seconds("The whole exchange", "0"),
  },
  {
    description:
      "Upstream time limits. Bun's own hidden fetch limits are turned off; these are the only ones.",
  },
);

export const MediaEntry = Type.Object(
  {
    download: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          "Download image and document URLs for targets that cannot fetch them (Gemini; documents for OpenAI). When false, such a URL is a 400. Default true.",
      }),
    ),
    allow_private: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "Let downloads reach loopback, private (RFC 1918), link-local, CGNAT, ULA and other internal addresses. Default false.",
      }),
    ),
    allow_hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          "Host names (exact) and CIDR ranges (e.g. 10.1.0.0/16) that downloads may always reach, internal or not, e.g. an internal image store. Default none.",
      }),
    ),
    max_urls: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 8,
        description: "Most media URLs one request may make the router download. Default 8.",
      }),
    ),
    max_bytes: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })], {
        default: "20MiB",
        errorMessage: 'max_bytes must be a positive number of bytes or a size such as "20MiB"',
        description:
          "Most bytes all of one request's downloads may bring in together; they count in the request body budget (max_total_body_size). Default 20MiB.",
      }),
    ),
    timeout: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        default: 10,
        description: "Seconds for all of one request's downloads together. Default 10.",
      }),
    ),
  },
  {
    description:
      "Remote media (image and document URLs) the router downloads for targets that cannot fetch URLs.",
  },
);

export const LlmParams = Type.Object(
  {
    api_type: Type.Union(
      API_TYPES.map((t) => Type.Literal(t)),
      { description: "The upstream's API dialect: openai, anthropic or gemini." },
    ),
    model: Type.String({ minLength: 1, description: "The upstream's own model id, e.g. gpt-4o." }),
    api_base: Type.Optional(
      Type.String({
        pattern: "^https?://",
        patternErrorMessage: "api_base must be an http:// or https:// URL",
        description: `Base URL of the upstream API. Defaults per api_type (${apiBaseDefaults}).`,
      }),
    ),
    api_key: Type.Optional(
      Type.String({
        description:
          "API key for the upstream, usually ${ENV_VAR} or ${ENV_VAR:-}. Empty when omitted.",
      }),
    ),
    rewrite_header: Type.Optional(
      Type.Union([Type.String({ description: "A JSON object, as a string." }), HeaderRewrite], {
        description:
          "Headers to set (string) or remove (null) on the upstream request, as a JSON object string or a YAML mapping. Names are case-insensitive.",
      }),
    ),
    rewrite_body: Type.Optional(
      Type.Union([Type.String({ description: "A JSON object, as a string." }), BodyRewrite], {
        description:
          "JSON merge patch (RFC 7396) applied to the upstream request body, as a JSON object string or a YAML mapping.",
      }),
    ),
    default_max_tokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "max_tokens sent when a converted request has none and this upstream requires one (Anthropic). Default 4096.",
      }),
    ),
    proxy: Type.Optional(
      Type.String({
        pattern: "^(https?|socks5h?)://",
        patternErrorMessage: "proxy must be an http://, https://, socks5:// or socks5h:// URL",
        description:
          "Proxy for this model's upstream calls (http://, https://, socks5://, socks5h://, optionally with user:password@); overrides --proxy. NO_PROXY applies.",
      }),
    ),
    timeouts: Type.Optional(TimeoutsEntry),
    max_output_tokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "Largest max_tokens this model accepts; converted requests asking for more are clamped (with a warning).",
      }),
    ),
    forward_betas: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          "Forward an Anthropic client's anthropic-beta and anthropic-version headers to this Anthropic upstream. Default true. Other clients' copies of these headers are never forwarded.",
      }),
    ),
  },
  { description: "How to reach the upstream model." },
);

export const ModelEntry = Type.Object(
  {
    model_name: Type.String({
      minLength: 1,
      description: "Unique name for this model; model_groups refer to it.",
    }),
    llm_params: LlmParams,
  },
  { description: "One upstream model." },
);

export const GroupMemberEntry = Type.Object(
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
  },
  { description: "A model in the group." },
);

export const GroupEntry = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      description: "Unique group name; clients ask for it as the model.",
    }),
    models: Type.Array(GroupMemberEntry, {
      minItems: 1,
      description: "The models the group balances over.",
    }),
  },
  { description: "A named set of models that requests are balanced across." },
);

export const RawConfig = Type.Object(
  {
    server_settings: Type.Optional(
      Type.Object(
        {
          max_body_size: Type.Optional(
            Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })], {
              default: "32MiB",
              errorMessage:
                'max_body_size must be a positive number of bytes or a size such as "10MB", "32MiB", "512KiB" or "1GB"',
              description:
                "Largest accepted request body: bytes, or a size with KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024). Default 32MiB.",
            }),
          ),
          max_total_body_size: Type.Optional(
            Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })], {
              errorMessage:
                'max_total_body_size must be a positive number of bytes or a size such as "256MiB" or "1GB"',
              description:
                "Largest total of the request bodies all requests hold at once (a parsed body takes several times its size); a body that would pass it gets 503 with Retry-After. Same units as max_body_size. Default an eighth of the memory the process may use (its cgroup limit, else the machine's), at least max_body_size.",
            }),
          ),
          body_timeout: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              default: 30,
              description:
                "Seconds a request body may take to arrive after its headers; slower clients get 408. Default 30.",
            }),
          ),
          max_response_size: Type.Optional(
            Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })], {
              default: "64MiB",
              errorMessage:
                'max_response_size must be a positive number of bytes or a size such as "64MiB"',
              description:
                "Largest upstream body the router reads whole (JSON answers, error bodies, token counts), after decompression; a larger one fails the attempt with 502. Same units as max_body_size. Default 64MiB.",
            }),
          ),
          media: Type.Optional(MediaEntry),
          metrics_public: Type.Optional(
            Type.Boolean({
              default: false,
              description:
                "Serve GET /metrics without the router token (for scrapers on a trusted network). Default false.",
            }),
          ),
        },
        { description: "HTTP server settings." },
      ),
    ),
    model_list: Type.Array(ModelEntry, { minItems: 1, description: "The upstream models." }),
    router_settings: Type.Object(
      {
        strategy: Type.Optional(
          Type.Union(
            STRATEGIES.map((s) => Type.Literal(s)),
            {
              default: "roundrobin",
              description:
                "How a member is picked within a group: roundrobin (default), random or leastconn.",
            },
          ),
        ),
        model_groups: Type.Array(GroupEntry, {
          minItems: 1,
          description: "The groups clients can ask for.",
        }),
        timeouts: Type.Optional(TimeoutsEntry),
      },
      { description: "Routing settings." },
    ),
  },
  { description: "llm-router configuration." },
);

export type RawConfig = Static<typeof RawConfig>;

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
