/** The metrics module's public surface. */
export { createMetricsEndpoint } from "./http";
export { LATENCY_BUCKETS, Metrics } from "./metrics";
