import type { Finish } from "../../ir";

export function decodeFinish(_status: string): Finish {
  return { reason: "stop" };
}

export function encodeFinish(_finish: Finish): string {
  return "completed";
}
