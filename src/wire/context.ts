import { Warnings } from "../ir";
import type { CodecContext } from "./codec";
import type { Format } from "./format";
import { NameMap } from "./names";

/** Fresh per-request state for converting from a client format to an upstream format. */
export function codecContext(
  group: string,
  target: Format,
  random: () => number = Math.random,
): CodecContext {
  return {
    group,
    warnings: new Warnings(),
    toolNames: new NameMap(target.codec.toolNameRule),
    toolIds: new NameMap(target.codec.toolIdRule),
    random,
    clientTools: new Map(),
  };
}
