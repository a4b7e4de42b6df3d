import { describe, expect, test } from "bun:test";
import { loadConfigText, type Env } from "../../src/config";
import { MINIMAL, issuesOf, onlyIssue } from "./fixtures/helpers";

// A function replacement: a string one would itself treat "$$" specially and corrupt the test input.
const withKey = (value: string): string =>
  MINIMAL.replace("model: gpt-4o", () => `model: gpt-4o\n      api_key: ${value}`);

/** Loads MINIMAL with `value` as the api_key (line 6, value at col 16) and returns the resulting key. */
function apiKey(value: string, env: Env): string {
  return loadConfigText(withKey(value), "config.yaml", env).models.get("gpt4o")!.apiKey;
}

function apiKeyIssue(value: string, env: Env = {}) {
  return onlyIssue(withKey(value), env);
}

describe("environment interpolation", () => {
  test("${VAR} is replaced when set", () => {
    expect(apiKey("${KEY}", { KEY: "sk-123" })).toBe("sk-123");
  });

  test("${VAR} may sit inside a longer string, several times", () => {
    expect(apiKey('"Bearer ${A}-${B}"', { A: "x", B: "y" })).toBe("Bearer x-y");
  });

  test("${VAR} set to an empty string is used as is", () => {
    expect(apiKey("x${KEY}y", { KEY: "" })).toBe("xy");
  });

  test("an unset ${VAR} is an error naming the variable and the path", () => {
    expect(apiKeyIssue("${OPENAI_API_KEY}")).toEqual({
      code: "ENV_VAR",
      path: "model_list[0].llm_params.api_key",
      pos: { line: 6, col: 16 },
      message:
        "environment variable OPENAI_API_KEY is not set (write ${OPENAI_API_KEY:-} to allow it to be unset)",
    });
  });

  test("${VAR:-default} uses the default when unset or empty, the value otherwise", () => {
    expect(apiKey("${KEY:-fallback}", {})).toBe("fallback");
    expect(apiKey("${KEY:-fallback}", { KEY: "" })).toBe("fallback");
    expect(apiKey("${KEY:-fallback}", { KEY: "real" })).toBe("real");
    expect(apiKey("${KEY:-}", {})).toBe("");
  });

  test("$${ escapes a literal ${", () => {
    expect(apiKey("'$${KEY}'", { KEY: "nope" })).toBe("${KEY}");
  });

  test("a lone $ is left alone", () => {
    expect(apiKey("'a$b$$c'", {})).toBe("a$b$$c");
  });

  test("substituted values are not expanded again", () => {
    expect(apiKey("${A}", { A: "${B}", B: "secret" })).toBe("${B}");
    expect(apiKey("${A:-${B}", { B: "secret" })).toBe("${B");
  });

  test("os.environ/VAR takes the whole value from the environment", () => {
    expect(apiKey("os.environ/KEY", { KEY: "sk-456" })).toBe("sk-456");
  });

  test("os.environ/VAR that is unset is the same error as ${VAR}", () => {
    const issue = apiKeyIssue("os.environ/ANTHROPIC_KEY");
    expect(issue.code).toBe("ENV_VAR");
    expect(issue.path).toBe("model_list[0].llm_params.api_key");
    expect(issue.pos).toEqual({ line: 6, col: 16 });
    expect(issue.message).toStartWith("environment variable ANTHROPIC_KEY is not set");
  });

  test("a malformed reference is reported", () => {
    expect(apiKeyIssue("'${not a name}'").message).toStartWith(
      'invalid variable reference "${not a name}"',
    );
    expect(apiKeyIssue("'${KEY'")).toMatchObject({
      code: "ENV_VAR",
      message: 'unterminated "${" in "${KEY"',
    });
  });

  test("interpolation happens before validation", () => {
    const text = MINIMAL.replace("api_type: openai", "api_type: ${PROVIDER}").replace(
      "model: gpt-4o",
      "model: gpt-4o\n      api_base: ${BASE:-https://llm.internal/v1/}",
    );
    const model = loadConfigText(text, "config.yaml", { PROVIDER: "anthropic" }).models.get(
      "gpt4o",
    )!;
    expect(model.apiType).toBe("anthropic");
    expect(model.apiBase).toBe("https://llm.internal/v1");
    const issue = onlyIssue(text, { PROVIDER: "bedrock" });
    expect(issue.code).toBe("SCHEMA");
    // A value from the environment is named by its variable, never printed.
    expect(issue.message).toBe(
      "unknown api_type ${PROVIDER}; expected one of: openai, anthropic, gemini, responses",
    );
    // An unset variable is reported once, not again as an invalid api_type.
    expect(onlyIssue(text, {})).toMatchObject({
      code: "ENV_VAR",
      message: expect.stringMatching(/^environment variable PROVIDER is not set/),
    });
  });

  test("every missing variable is reported, each with its own path", () => {
    const text = MINIMAL.replace("model: gpt-4o", "model: ${MODEL}\n      api_key: ${KEY}");
    expect(issuesOf(text).map((i) => [i.path, i.message.split(" (")[0]])).toEqual([
      ["model_list[0].llm_params.model", "environment variable MODEL is not set"],
      ["model_list[0].llm_params.api_key", "environment variable KEY is not set"],
    ]);
  });

  test("env defaults to process.env", () => {
    process.env.LLM_ROUTER_TEST_KEY = "from-process";
    try {
      const text = MINIMAL.replace(
        "model: gpt-4o",
        "model: gpt-4o\n      api_key: ${LLM_ROUTER_TEST_KEY}",
      );
      expect(loadConfigText(text, "config.yaml").models.get("gpt4o")!.apiKey).toBe("from-process");
    } finally {
      delete process.env.LLM_ROUTER_TEST_KEY;
    }
  });
});

describe("a value from the environment is never printed: its ${VAR} is shown instead", () => {
  const SECRET = "sk-env-secret-0123456789";
  const withParam = (line: string) =>
    MINIMAL.replace("model: gpt-4o", () => `model: gpt-4o\n      ${line}`);
  const shown = (text: string, env: Env) => {
    const issues = issuesOf(text, env);
    const printed = issues.map((i) => `${i.path}: ${i.message}`).join("\n");
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(SECRET.slice(0, 12));
    return issues;
  };

  test("api_base = ${X}, X an invalid URL holding a secret: the error shows ${X}", () => {
    const [issue] = shown(withParam("api_base: ${X}"), {
      X: `https://user:${SECRET}@[bad-host/v1`,
    });
    expect(issue!.message).toBe("api_base is not a valid URL: ${X}");
  });

  test("a schema error (pattern, unknown choice) on a value from the environment", () => {
    expect(shown(withParam("api_base: ${X}"), { X: `ftp-${SECRET}` })[0]!.message).toEndWith(
      "got ${X}",
    );
    expect(
      shown(MINIMAL.replace("api_type: openai", "api_type: os.environ/T"), { T: SECRET })[0]!
        .message,
    ).toBe("unknown api_type os.environ/T; expected one of: openai, anthropic, gemini, responses");
  });

  test("rewrite_header from ${H}: not JSON, or a bad value inside it", () => {
    expect(
      shown(withParam("rewrite_header: ${H}"), { H: `{"authorization": ${SECRET}}` })[0]!.message,
    ).toBe("rewrite_header from ${H} is not valid JSON");
    expect(
      shown(withParam("rewrite_header: ${H}"), { H: JSON.stringify([SECRET]) })[0]!.message,
    ).toBe("rewrite_header must be a JSON object, got ${H}");
    expect(
      shown(withParam("rewrite_header: ${H}"), { H: JSON.stringify({ authorization: [SECRET] }) }),
    ).toHaveLength(1);
  });

  test("a proxy from ${P} is named by its variable, not its host", () => {
    expect(
      shown(withParam("proxy: ${P}"), { P: `ftp://u:p@${SECRET}.example:1` })[0]!.message,
    ).toEndWith("got ${P}");
    const [issue] = shown(withParam("proxy: ${P}"), { P: `http://u:p@${SECRET}.example:1/path` });
    expect(issue!.message).toBe(
      "invalid proxy URL ${P}: a proxy URL has no path, query or fragment",
    );
  });

  test("a size from ${S} out of range", () => {
    const [issue] = shown(`${MINIMAL}server_settings:\n  max_body_size: \${S}\n`, {
      S: "0.0000001 MB",
    });
    expect(issue!.message).toEndWith("got ${S}");
  });

  test("anywhere else a message quotes such a value (a duplicate name), the ${VAR} replaces it", () => {
    const text = MINIMAL.replace("model_name: gpt4o", "model_name: ${N}").replace(
      "router_settings:",
      "  - model_name: ${N}\n    llm_params: { api_type: openai, model: x }\nrouter_settings:",
    );
    const issues = shown(text, { N: SECRET });
    expect(issues.map((i) => i.message).join("\n")).toContain('duplicate model_name "${N}"');
  });
});
