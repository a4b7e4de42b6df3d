export * from "./log/index";
