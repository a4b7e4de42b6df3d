import pkg from "../package.json" with { type: "json" };

// build.ts defines LLM_ROUTER_VERSION (with the git commit); running from source falls back to package.json.
declare const LLM_ROUTER_VERSION: string | undefined;

export const VERSION: string =
  typeof LLM_ROUTER_VERSION === "string" ? LLM_ROUTER_VERSION : pkg.version;
