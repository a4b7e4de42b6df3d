import { emptyUsage, type Usage } from "../../ir";

export function decodeUsage(_usage: unknown): Usage {
  return emptyUsage();
}

export function encodeUsage(_usage: Usage): unknown {
  return {};
}
