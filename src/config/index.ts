/** The config module's public surface; everything else in this folder is an implementation detail. */
export { loadConfigFile, loadConfigText, readConfigText } from "./load";
export { hashedSecret } from "./keys-entry";
export { renderJsonSchema } from "./schema";
export type { Env } from "./env";
export * from "./defaults";
export * from "./types";
