/** Keys, their limits and their spend: what the request path and /v1/usage use of them. */
export { roughInputTokens } from "./estimate";
export { Teams, Ticket } from "./gate";
export type { Principal } from "./keys";
export { periodWindow } from "./periods";
export { MemoryStore } from "./state/memory";
export * from "./types";
