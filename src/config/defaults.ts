/**
 * Every setting's default, written once, in the units config.yaml uses (seconds, sizes such as
 * "32MiB"). The schema shows these values to editors and in its descriptions, and types.ts turns
 * them into the router's units (DEFAULT_TIMEOUTS, DEFAULT_MEDIA, …), which the normaliser fills
 * in and other modules import as their fallback. Nothing else may write a default of its own;
 * tests/config/defaults.test.ts holds the schema and the normaliser to this table.
 */

/** `server_settings` (max_total_body_size has none: it follows the machine's memory). */
export const SERVER_DEFAULTS = {
  max_body_size: "32MiB",
  body_timeout: 30,
  max_response_size: "64MiB",
  metrics_public: false,
  stream_keepalive: 15,
} as const;

/** `server_settings.media` (allow_hosts is empty unless set). */
export const MEDIA_DEFAULTS = {
  download: true,
  allow_private: false,
  max_urls: 8,
  max_bytes: "20MiB",
  timeout: 10,
} as const;

/** `router_settings.timeouts`, in seconds, 0 = no limit; a model's own `timeouts` override them key by key. */
export const TIMEOUT_DEFAULTS = {
  connect: 10,
  first_byte: 600,
  idle: 300,
  total: 0,
} as const;

/** `router_settings.strategy`. */
export const DEFAULT_STRATEGY = "roundrobin";

/** `router_settings.affinity`, and each group's unless it sets its own. */
export const DEFAULT_AFFINITY = "session";

/** `router_settings.max_attempts`: most models one request tries, fallback groups included. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** `model_groups[].models[].weight`. */
export const DEFAULT_WEIGHT = 100;

/** `llm_params.forward_betas`. */
export const DEFAULT_FORWARD_BETAS = true;

/** `router_settings.state_failure`: serve (counting locally) while the shared state store is down. */
export const DEFAULT_STATE_FAILURE = "open";

/** `router_settings.state_timeout`, in ms: the longest an admission waits for the shared store. */
export const DEFAULT_STATE_TIMEOUT_MS = 50;
