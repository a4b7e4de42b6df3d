import { Elysia } from "elysia";
import type { Handler } from "../core/handle";

/**
 * The HTTP shell: every request goes to the core handler untouched. `parse: "none"` keeps
 * Elysia from reading the body, which the core reads itself (with its size limit).
 */
export function createApp(handler: Handler) {
  return new Elysia().all("/*", ({ request }) => handler(request), { parse: "none" });
}
