import { describe, expect, test } from "bun:test";
import { parseArgs } from "citty";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ARGS, toOptions } from "../../src/cli/args";
import { loadConfigFile } from "../../src/config";
import { matchRoute } from "../../src/core/routes";

/**
 * The Dockerfile, compose.yaml and the Kubernetes manifests cannot run here (no container
 * runtime, no cluster). What can be checked is that they say what the code does: the path
 * build.ts writes, the router's port, its health path, its flags, the variables its configs read,
 * and that their configs load with the router's own loader.
 */

const ROOT = join(import.meta.dir, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const dockerfile = read("Dockerfile");
const compose = parse(read("compose.yaml"));
const manifests = parseAllDocuments(read("deploy/kubernetes/llm-router.yaml")).map((d) => d.toJS());
const kind = (k: string, name: string) =>
  manifests.find((m) => m.kind === k && m.metadata.name === name);
const PORT = Number(ARGS.port.default);

/** The options the router would run with, given these arguments. */
const optionsOf = (argv: string[]) => toOptions(parseArgs(argv, ARGS), {}, argv);
/** Every `${VAR}` a config text reads. */
const variables = (text: string) =>
  [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!).sort();

describe("Dockerfile", () => {
  test("copies the binary build.ts writes, for the target it builds", () => {
    const build = read("build.ts");
    expect(build).toContain('join(ROOT, "dist")');
    expect(build).toContain("`llm-router-${target}");
    for (const target of ["linux-x64", "linux-arm64"]) expect(build).toContain(`"${target}"`);
    expect(dockerfile).toContain('bun build.ts --target "$target"');
    expect(dockerfile).toContain('cp "dist/llm-router-$target" /llm-router');
    expect(dockerfile).toMatch(
      /target="linux-\$\(\[ "\$TARGETARCH" = arm64 \] && echo arm64 \|\| echo x64\)"/,
    );
  });

  test("runs as a non-root user, on the router's port, with a health check on /health", () => {
    expect(dockerfile).toMatch(/^USER 10001$/m);
    expect(dockerfile).toContain(`EXPOSE ${PORT}`);
    const health = /curl -fsS http:\/\/127\.0\.0\.1:(\d+)(\/\S+)/.exec(dockerfile)!;
    expect(Number(health[1])).toBe(PORT);
    expect(matchRoute("GET", new URL(`http://x${health[2]}`), new Headers()).kind).toBe("health");
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(optionsOf(cmd)).toMatchObject({
      ip: "0.0.0.0",
      port: PORT,
      config: "/etc/llm-router/config.yaml",
    });
  });
});

describe("compose.yaml", () => {
  test("mounts the shared config where the router reads it, and names every variable it reads", () => {
    const router = compose.services.router;
    expect(router.ports).toEqual([`${PORT}:${PORT}`]);
    expect(router.volumes).toContain("./deploy/config.shared.yaml:/etc/llm-router/config.yaml:ro");
    expect(router.volumes).toContain("./deploy/keys.example.yaml:/etc/llm-router/keys.yaml:ro");
    const env = Object.keys(router.environment).sort();
    expect(env).toEqual(
      [...new Set(["LLM_ROUTER_TOKEN", ...variables(read("deploy/config.shared.yaml"))])].sort(),
    );
    // The state URL names the compose service that runs Redis.
    expect(new URL(router.environment.LLM_ROUTER_STATE).hostname).toBe("redis");
    expect(compose.services.redis.image).toMatch(/^redis:7/);
  });

  test("its config loads as the router loads it, with the keys file where compose mounts it", async () => {
    // The two mounts put both files in /etc/llm-router: the same here, in a directory of its own.
    const dir = mkdtempSync(join(tmpdir(), "llm-router-compose-"));
    try {
      writeFileSync(join(dir, "config.yaml"), read("deploy/config.shared.yaml"));
      writeFileSync(join(dir, "keys.yaml"), read("deploy/keys.example.yaml"));
      const config = await loadConfigFile(join(dir, "config.yaml"), {
        LLM_ROUTER_STATE: "redis://redis:6379/0",
      });
      expect(config.state.url).toBe("redis://redis:6379/0");
      expect(config.keys.map((k) => k.name)).toEqual(["team-a"]);
      expect([...config.groups.keys()]).toEqual(["gpt", "claude", "gemini"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy/kubernetes", () => {
  const deployment = kind("Deployment", "llm-router");
  const container = deployment.spec.template.spec.containers[0];

  test("two replicas or more, non-root, probed on /health at the router's port", () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
    });
    expect(container.ports).toEqual([{ name: "http", containerPort: PORT }]);
    expect(optionsOf(container.args)).toMatchObject({ port: PORT, ip: "0.0.0.0" });
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.port).toBe("http");
      expect(matchRoute("GET", new URL(`http://x${probe.httpGet.path}`), new Headers()).kind).toBe(
        "health",
      );
    }
    expect(container.resources.requests).toBeDefined();
    expect(kind("PodDisruptionBudget", "llm-router").spec.minAvailable).toBe(1);
    expect(kind("Service", "llm-router").spec.ports[0].port).toBe(PORT);
  });

  test("the Secret holds every variable the config reads, and the state URL names the Redis Service", () => {
    const configMap = kind("ConfigMap", "llm-router-config");
    const secret = kind("Secret", "llm-router");
    expect(container.envFrom).toEqual([{ secretRef: { name: "llm-router" } }]);
    const provided = [...Object.keys(secret.stringData), ...container.env.map((e: any) => e.name)];
    for (const v of ["LLM_ROUTER_TOKEN", ...variables(configMap.data["config.yaml"])])
      expect(provided).toContain(v);
    const state = container.env.find((e: any) => e.name === "LLM_ROUTER_STATE").value;
    const redis = kind("Service", "llm-router-redis");
    expect(new URL(state).hostname).toBe(redis.metadata.name);
    expect(new URL(state).port).toBe(String(redis.spec.ports[0].port));
    const mounts = container.volumeMounts.map((m: any) => m.mountPath);
    expect(mounts).toEqual(["/etc/llm-router/config.yaml", "/etc/llm-router/keys.yaml"]);
    expect(optionsOf(container.args).config).toBe("/etc/llm-router/config.yaml");
  });

  test("the ConfigMap's config loads as the router loads it, with the Secret's keys file beside it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llm-router-k8s-"));
    try {
      writeFileSync(
        join(dir, "config.yaml"),
        kind("ConfigMap", "llm-router-config").data["config.yaml"],
      );
      writeFileSync(join(dir, "keys.yaml"), kind("Secret", "llm-router").stringData["keys.yaml"]);
      const config = await loadConfigFile(join(dir, "config.yaml"), {
        LLM_ROUTER_STATE: "redis://llm-router-redis:6379/0",
      });
      expect(config.keys.map((k) => k.name)).toEqual(["team-a"]);
      expect(config.state.url).toBe("redis://llm-router-redis:6379/0");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
