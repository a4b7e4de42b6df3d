export * from "./content";
export * from "./error";
export * from "./request";
export * from "./response";
export * from "./stream";
export * from "./warning";
