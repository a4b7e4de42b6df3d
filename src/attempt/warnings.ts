import type { ModelConfig } from "../config/types";
import type { Warning } from "../ir";
import type { Logger } from "../log";
import type { RoutedCall } from "./outcome";

/** Lossy steps are logged and summarised in a header: never silent. */
export function reportWarnings(
  headers: Headers,
  warnings: Warning[],
  log: Logger,
  call: RoutedCall,
  model: ModelConfig,
): void {
  if (warnings.length === 0) return;
  headers.set("x-llm-router-warnings", String(warnings.length));
  // Field names can come from the client (unknown keys): keep the header printable ASCII.
  const summary = warnings
    .map((w) => `${w.code}:${w.what}`)
    .join(", ")
    .replace(/[^\x20-\x7e]/g, "?");
  headers.set(
    "x-llm-router-warning-detail",
    summary.length > 1000 ? summary.slice(0, 997) + "..." : summary,
  );
  log.info("conversion warnings", {
    group: call.group,
    model: model.name,
    from: call.format,
    to: model.apiType,
    warnings: summary,
  });
}
