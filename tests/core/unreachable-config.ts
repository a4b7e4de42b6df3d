import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MEDIA,
  DEFAULT_TIMEOUTS,
  type RouterConfig,
  type ServerSettings,
} from "../../src/config/types";

/**
 * A config with one group "grp" of one OpenAI model "m" that nothing answers (port 9): for
 * handler tests that stop before any upstream call, or only need the call to fail.
 */
export function unreachableConfig(
  source: string,
  server: Pick<ServerSettings, "maxBodyBytes" | "maxTotalBodyBytes" | "bodyTimeoutMs">,
): RouterConfig {
  return {
    source,
    strategy: "roundrobin",
    affinityKeys: [],
    keys: [],
    state: { failure: "open", timeoutMs: 50 },
    server: {
      ...server,
      metricsPublic: false,
      streamKeepAliveMs: 0,
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
      media: DEFAULT_MEDIA,
    },
    warnings: [],
    models: new Map([
      [
        "m",
        {
          name: "m",
          apiType: "openai",
          model: "up",
          apiBase: "http://127.0.0.1:9/v1",
          apiKey: "k",
          rewriteHeader: {},
          timeouts: DEFAULT_TIMEOUTS,
        },
      ],
    ]),
    groups: new Map([["grp", { name: "grp", members: [{ model: "m", weight: 100 }] }]]),
  };
}
