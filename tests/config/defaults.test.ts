import { describe, expect, test } from "bun:test";
import {
  DEFAULT_AFFINITY,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_FORWARD_BETAS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MEDIA,
  DEFAULT_STATE_FAILURE,
  DEFAULT_STATE_TIMEOUT_MS,
  DEFAULT_STRATEGY,
  DEFAULT_TIMEOUTS,
  DEFAULT_WEIGHT,
  MEDIA_DEFAULTS,
  SERVER_DEFAULTS,
  TIMEOUT_DEFAULTS,
  loadConfigText,
  renderJsonSchema,
} from "../../src/config";
import { sizeInBytes } from "../../src/config/units";
import { MINIMAL } from "./fixtures/helpers";

interface JsonSchema {
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

/** Every property of the published schema, by dotted path (`[]` for list items). */
function properties(): Map<string, JsonSchema> {
  const found = new Map<string, JsonSchema>();
  const visit = (s: JsonSchema, path: string): void => {
    for (const [key, child] of Object.entries(s.properties ?? {})) {
      const at = path ? `${path}.${key}` : key;
      found.set(at, child);
      visit(child, at);
    }
    if (s.items) visit(s.items, `${path}[]`);
  };
  visit(JSON.parse(renderJsonSchema()) as JsonSchema, "");
  return found;
}

const bytes = (size: string) => sizeInBytes(size)!;
const ms = (seconds: number) => seconds * 1000;

/** Each setting's default as defaults.ts writes it: the one place a default may be written. */
const TABLE: Record<string, unknown> = {
  "server_settings.max_body_size": SERVER_DEFAULTS.max_body_size,
  "server_settings.body_timeout": SERVER_DEFAULTS.body_timeout,
  "server_settings.max_response_size": SERVER_DEFAULTS.max_response_size,
  "server_settings.metrics_public": SERVER_DEFAULTS.metrics_public,
  "server_settings.stream_keepalive": SERVER_DEFAULTS.stream_keepalive,
  "server_settings.media.download": MEDIA_DEFAULTS.download,
  "server_settings.media.allow_private": MEDIA_DEFAULTS.allow_private,
  "server_settings.media.max_urls": MEDIA_DEFAULTS.max_urls,
  "server_settings.media.max_bytes": MEDIA_DEFAULTS.max_bytes,
  "server_settings.media.timeout": MEDIA_DEFAULTS.timeout,
  "model_list[].llm_params.forward_betas": DEFAULT_FORWARD_BETAS,
  "router_settings.strategy": DEFAULT_STRATEGY,
  "router_settings.affinity": DEFAULT_AFFINITY,
  "router_settings.max_attempts": DEFAULT_MAX_ATTEMPTS,
  "router_settings.model_groups[].models[].weight": DEFAULT_WEIGHT,
  "router_settings.state_failure": DEFAULT_STATE_FAILURE,
  "router_settings.state_timeout": DEFAULT_STATE_TIMEOUT_MS / 1000,
};

describe("each setting's default is written once, in defaults.ts", () => {
  test("the schema's default keywords are exactly the table's", () => {
    const inSchema = Object.fromEntries(
      [...properties()].filter(([, s]) => "default" in s).map(([path, s]) => [path, s.default]),
    );
    expect(inSchema).toEqual(TABLE);
  });

  test("the schema files take each default from the table, never as a literal", async () => {
    const literal = /default: *(?:[\d"'`-]|true|false|null|\[|\{)/;
    const files = [
      "schema.ts",
      "model-schema.ts",
      "server-schema.ts",
      "keys-schema.ts",
      "state-settings.ts",
    ];
    for (const file of files) {
      const text = await Bun.file(`${import.meta.dir}/../../src/config/${file}`).text();
      expect({ file, literal: text.match(literal)?.[0] }).toEqual({ file, literal: undefined });
    }
  });

  test("descriptions name the table's value, so editors show what the loader does", () => {
    const all = properties();
    for (const [path, value] of Object.entries(TABLE)) {
      const said = all.get(path)!.description!;
      const shown = [`Default ${value}.`, `(default ${value})`, `${value} (default)`];
      expect(shown.some((s) => said.includes(s))).toBe(true);
    }
    for (const [key, seconds] of Object.entries(TIMEOUT_DEFAULTS)) {
      for (const section of ["router_settings", "model_list[].llm_params"])
        expect(all.get(`${section}.timeouts.${key}`)!.description).toEndWith(`Default ${seconds}.`);
    }
  });

  test("a config that sets only what it must is normalised to the table, in the router's units", () => {
    const config = loadConfigText(MINIMAL, "config.yaml", {});
    const { maxTotalBodyBytes, ...server } = config.server;
    expect(server).toEqual({
      maxBodyBytes: bytes(SERVER_DEFAULTS.max_body_size),
      bodyTimeoutMs: ms(SERVER_DEFAULTS.body_timeout),
      maxResponseBytes: bytes(SERVER_DEFAULTS.max_response_size),
      metricsPublic: SERVER_DEFAULTS.metrics_public,
      streamKeepAliveMs: ms(SERVER_DEFAULTS.stream_keepalive),
      media: {
        download: MEDIA_DEFAULTS.download,
        allowPrivate: MEDIA_DEFAULTS.allow_private,
        allowHosts: [],
        maxUrls: MEDIA_DEFAULTS.max_urls,
        maxBytes: bytes(MEDIA_DEFAULTS.max_bytes),
        timeoutMs: ms(MEDIA_DEFAULTS.timeout),
      },
    });
    // The one default that is not a constant: it follows the memory the process may use.
    expect(maxTotalBodyBytes).toBeGreaterThanOrEqual(server.maxBodyBytes);
    expect(config.strategy).toBe(DEFAULT_STRATEGY);
    expect(config.state).toEqual({
      failure: DEFAULT_STATE_FAILURE,
      timeoutMs: DEFAULT_STATE_TIMEOUT_MS,
    });
    expect(config.groups.get("default")!.members[0]!.weight).toBe(DEFAULT_WEIGHT);
    const model = config.models.get("gpt4o")!;
    expect(model.forwardBetas).toBe(DEFAULT_FORWARD_BETAS);
    expect(model.timeouts).toEqual({
      connect: ms(TIMEOUT_DEFAULTS.connect),
      firstByte: ms(TIMEOUT_DEFAULTS.first_byte),
      idle: ms(TIMEOUT_DEFAULTS.idle),
      total: ms(TIMEOUT_DEFAULTS.total),
    });
  });

  test("the fallbacks other modules import are the same values", () => {
    const config = loadConfigText(MINIMAL, "config.yaml", {});
    expect(DEFAULT_TIMEOUTS).toEqual(config.models.get("gpt4o")!.timeouts);
    expect(DEFAULT_MEDIA).toEqual(config.server.media);
    expect(DEFAULT_MAX_BODY_BYTES).toBe(config.server.maxBodyBytes);
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(config.server.maxResponseBytes);
    expect(DEFAULT_BODY_TIMEOUT_MS).toBe(config.server.bodyTimeoutMs);
  });

  test("README.md's media table shows the same defaults", async () => {
    const readme = await Bun.file(`${import.meta.dir}/../../README.md`).text();
    const section = readme.slice(readme.indexOf("### Media downloads"));
    const rows = [...section.matchAll(/^\| `(\w+)` \| `([^`]*)` \|/gm)];
    const shown = Object.fromEntries(rows.map((m) => [m[1], m[2]]));
    for (const [key, value] of Object.entries(MEDIA_DEFAULTS)) expect(shown[key]).toBe(`${value}`);
  });

  test("sizes and seconds convert as the file means them", () => {
    expect(sizeInBytes("32MiB")).toBe(32 * 1024 * 1024);
    expect(sizeInBytes(" 1.5 kb ")).toBe(1500);
    expect(sizeInBytes("512")).toBe(512);
    expect(sizeInBytes("12 parsecs")).toBeUndefined();
  });
});
