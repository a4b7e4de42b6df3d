import type { ApiType } from "../config/types";
import { Warnings } from "../ir";
import type { CodecContext } from "../wire/codec";
import { NameMap } from "../wire/names";
import { CODECS } from "./codecs";

/** Fresh per-request state for converting from a client format to an upstream format. */
export function codecContext(
  group: string,
  target: ApiType,
  random: () => number = Math.random,
): CodecContext {
  const codec = CODECS[target];
  return {
    group,
    warnings: new Warnings(),
    toolNames: new NameMap(codec.toolNameRule),
    toolIds: new NameMap(codec.toolIdRule),
    random,
  };
}
