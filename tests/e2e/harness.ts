import { loadConfigText } from "../../src/config";
import { loadRuntime, type Runtime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { createMetricsEndpoint, Metrics } from "../../src/metrics";
import { serve, type RunningServer } from "../../src/server/serve";
import { startMock, type MockKind, type MockUpstream } from "../mocks";

export const TOKEN = "router-token-e2e";

export interface HarnessOptions {
  /** YAML at the top level of the config (`keys:`), unindented. */
  top?: string;
  /** YAML inside `router_settings` (indent by two). */
  settings?: string;
  /** Serve `/metrics` (with the token), recording as the server does. */
  metrics?: boolean;
}

export interface Harness {
  router: RunningServer;
  runtime: Runtime;
  base: string;
  mocks: Record<MockKind, MockUpstream>;
  stop(): Promise<void>;
}

/**
 * A router on a free loopback port in front of the four strict mocks. Each mock backs a group
 * of its own name (`openai`, `anthropic`, `gemini`, `responses`) through a model with rewrites configured,
 * and `mixed` sends OpenAI-format traffic to the Anthropic mock (conversion needed).
 * `extraYaml` lands inside `router_settings.model_groups` (indent items by four spaces);
 * `extraModels` inside `model_list` (indent items by two). It is a function because the
 * mocks' ports are only known once they run, and extra models often point at them.
 */
export async function startHarness(
  extraYaml = "",
  extraModels: (mocks: Record<MockKind, MockUpstream>) => string = () => "",
  opts: HarnessOptions = {},
): Promise<Harness> {
  const kinds: MockKind[] = ["openai", "anthropic", "gemini", "responses"];
  const started = await Promise.all(kinds.map((k) => startMock(k, { apiKey: `sk-upstream-${k}` })));
  const mocks = Object.fromEntries(kinds.map((k, i) => [k, started[i]!])) as Record<
    MockKind,
    MockUpstream
  >;
  const yaml = `
${opts.top ?? ""}
model_list:
  - model_name: oa
    llm_params:
      api_type: openai
      model: gpt-upstream
      api_base: ${mocks.openai.apiBase}
      api_key: ${mocks.openai.apiKey}
      rewrite_header: '{"x-team": "e2e"}'
      rewrite_body: '{"temperature": 0.25}'
  - model_name: an
    llm_params:
      api_type: anthropic
      model: claude-upstream
      api_base: ${mocks.anthropic.apiBase}
      api_key: ${mocks.anthropic.apiKey}
      rewrite_header: {x-team: e2e}
      rewrite_body: {metadata: {user_id: router}}
  - model_name: an-nobeta
    llm_params:
      api_type: anthropic
      model: claude-upstream
      api_base: ${mocks.anthropic.apiBase}
      api_key: ${mocks.anthropic.apiKey}
      rewrite_header: {anthropic-beta: null}
  - model_name: ge
    llm_params:
      api_type: gemini
      model: gemini-upstream
      api_base: ${mocks.gemini.apiBase}
      api_key: ${mocks.gemini.apiKey}
      rewrite_header: {x-team: e2e}
      rewrite_body: {generationConfig: {temperature: 0.5}}
  - model_name: re
    llm_params:
      api_type: responses
      model: gpt-responses-upstream
      api_base: ${mocks.responses.apiBase}
      api_key: ${mocks.responses.apiKey}
      rewrite_header: {x-team: e2e}
${extraModels(mocks)}
router_settings:
${opts.settings ?? ""}
  model_groups:
    - name: openai
      models: [{ name: oa }]
    - name: anthropic
      models: [{ name: an }]
    - name: gemini
      models: [{ name: ge }]
    - name: responses
      models: [{ name: re }]
    - name: anthropic-nobeta
      models: [{ name: an-nobeta }]
    - name: mixed
      models: [{ name: an }]
${extraYaml}`;
  const config = loadConfigText(yaml, "e2e.yaml", {});
  // Selectors in `extraYaml` run as they do in the server: on the jq engine.
  const runtime = await loadRuntime(config);
  const metrics = opts.metrics ? new Metrics() : undefined;
  metrics?.setNames({
    groups: config.groups.keys(),
    models: config.models.keys(),
    keys: config.keys.map((k) => k.name),
  });
  const router = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    {
      runtime: () => runtime,
      token: TOKEN,
      log: silentLogger,
      metrics,
      metricsEndpoint: metrics && createMetricsEndpoint(metrics, { token: TOKEN }),
    },
  );
  return {
    router,
    runtime,
    base: router.url.origin,
    mocks,
    async stop() {
      await router.stop();
      await runtime.close();
      await Promise.all(started.map((m) => m.stop()));
    },
  };
}

/** Every header and the raw body a mock saw, as one string, to prove a secret never reached it. */
export function everythingSeen(m: MockUpstream): string {
  return m.requests
    .map((r) => JSON.stringify(r.headers) + r.path + JSON.stringify(r.query) + r.rawBody)
    .join("\n");
}

/**
 * Ends every cooldown an upstream's wait started (a 429 or 503 with Retry-After), so a test that
 * provokes one does not keep the next test's requests off that model.
 */
export function endCooldowns(runtime: Runtime): void {
  (runtime.health as unknown as { coolingUntil: Map<string, number> }).coolingUntil.clear();
}
