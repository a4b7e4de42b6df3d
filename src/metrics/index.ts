/** The metrics module's public surface. */
export { createMetricsEndpoint, type MetricsEndpointOptions } from "./http";
export {
  LATENCY_BUCKETS,
  Metrics,
  type AttemptOutcome,
  type NameSource,
  type RequestRecord,
  type SelectorOutcome,
} from "./metrics";
