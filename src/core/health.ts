import { jsonResponse } from "../wire/respond";
import type { Runtime } from "./runtime";

/**
 * `GET /health`: cheap and open. With `?detail` and the token, also each model's effective
 * weight relative to 100, health and cooldown, so a readiness check can see models that are down.
 */
export function health(runtime: Runtime, detail: boolean): Response {
  if (!detail) return jsonResponse({ status: "ok" });
  const { config, health } = runtime;
  const models = [...config.models.keys()].map((name) => {
    const weight = health.effectiveWeight(name, 100);
    const cooling = health.coolingRemaining(name);
    return {
      model: name,
      effective_weight: weight,
      health: weight === 100 ? "ok" : weight === 0 ? "down" : "degraded",
      in_flight: health.inFlight(name),
      // The wait its upstream asked for (Retry-After and the like): no request is sent until then.
      ...(cooling > 0
        ? {
            cooldown_until: new Date(health.clock.now() + cooling).toISOString(),
            cooldown_remaining_ms: cooling,
          }
        : {}),
    };
  });
  const down = models.filter((m) => m.health === "down").map((m) => m.model);
  return jsonResponse({
    status: down.length === models.length && models.length > 0 ? "degraded" : "ok",
    models,
    down,
  });
}
