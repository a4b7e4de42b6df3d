/** TypeBox schema of one `model_list` entry, and of the `timeouts` a model shares with router_settings. */
import { Type } from "@sinclair/typebox";
import { DEFAULT_FORWARD_BETAS, TIMEOUT_DEFAULTS } from "./defaults";
import { API_TYPES, DEFAULT_API_BASE } from "./types";

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

const seconds = (what: string, dflt: number) =>
  Type.Optional(
    Type.Number({
      minimum: 0,
      description: `${what}, in seconds (0 = no limit). Default ${dflt}.`,
    }),
  );

export const TimeoutsEntry = Type.Object(
  {
    connect: seconds(
      "Until the upstream accepts the request and sends its response headers",
      TIMEOUT_DEFAULTS.connect,
    ),
    first_byte: seconds(
      "Until the first byte of the answer (for non-streamed answers, the whole answer)",
      TIMEOUT_DEFAULTS.first_byte,
    ),
    idle: seconds("Longest silence between two chunks of a streamed answer", TIMEOUT_DEFAULTS.idle),
    total: seconds("The whole exchange", TIMEOUT_DEFAULTS.total),
  },
  {
    description:
      "Upstream time limits. Bun's own hidden fetch limits are turned off; these are the only ones.",
  },
);

const price = (what: string) =>
  Type.Number({ minimum: 0, description: `USD per million ${what}.` });

const tierPrices = {
  input: Type.Optional(price("input tokens in this tier; default the base input price")),
  output: Type.Optional(price("output tokens in this tier; default the base output price")),
  cache_read: Type.Optional(price("cache-read tokens in this tier; default the base price")),
  cache_write: Type.Optional(price("cache-write tokens in this tier; default the base price")),
  reasoning: Type.Optional(price("reasoning tokens in this tier; default the base price")),
};

const PricingEntry = Type.Object(
  {
    input: price("input tokens (neither read from nor written to a prompt cache)"),
    output: price("output tokens, reasoning included unless reasoning is priced"),
    cache_read: Type.Optional(price("input tokens read from a prompt cache; default input")),
    cache_write: Type.Optional(price("input tokens written to a prompt cache; default input")),
    reasoning: Type.Optional(price("reasoning (thinking) tokens; default output")),
    tiers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            above_input_tokens: Type.Integer({
              minimum: 0,
              description:
                "Once an answer's input tokens (cache reads and writes included) exceed this, the tier's prices apply to the whole answer.",
            }),
            ...tierPrices,
          },
          { description: "Prices for long requests; unset prices are the base prices." },
        ),
        {
          description:
            "Long-context price tiers; the highest tier whose threshold an answer's input exceeds applies. Thresholds must differ.",
        },
      ),
    ),
  },
  {
    description:
      "What the model's tokens cost, in USD per million, for spend, budgets and the cost metrics. Without it the model costs 0 (and --check says so).",
  },
);

const LlmParams = Type.Object(
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
    context_window: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "The model's context window in tokens. When some member of a group has one, the router estimates each request's tokens and skips members whose window is smaller than the estimate plus the requested output; an upstream context-length error fails over to a member with a larger window.",
      }),
    ),
    forward_betas: Type.Optional(
      Type.Boolean({
        default: DEFAULT_FORWARD_BETAS,
        description: `Forward an Anthropic client's anthropic-beta and anthropic-version headers to this Anthropic upstream. Default ${DEFAULT_FORWARD_BETAS}. Other clients' copies of these headers are never forwarded.`,
      }),
    ),
    pricing: Type.Optional(PricingEntry),
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
