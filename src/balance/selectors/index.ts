/**
 * jq selectors: which members of a group may serve a request. The only entry point of this folder;
 * the balancer and core never see the workers behind it.
 *
 * Semantics (jq 1.7): a member is eligible when its selector's first output, over the request body as
 * the client sent it, is exactly `true`. `$format` (the client's format id, passed through unread),
 * `$group` and `$tokens` (the request's estimated input tokens, or null when the caller did not
 * estimate them) are bound. `input`, `inputs`, `halt` and `halt_error` are disabled.
 */
export { checkSelector } from "./check";
export { checkConfigSelectors } from "./validate";
/** Compiles the jq engine (once per thread); calling it early lets the compile overlap other startup work. */
export { loadJqModule } from "./jq";
export { SelectorEngine, type SelectorLog, type SelectorOutcome } from "./engine";
