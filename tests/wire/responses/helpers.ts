import { DEFAULT_TIMEOUTS, type ModelConfig } from "../../../src/config/types";
import { isRouterError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import { Warnings } from "../../../src/ir/warning";
import type { CodecContext, EncodeRequestContext } from "../../../src/wire/codec";
import { NameMap } from "../../../src/wire/names";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { seeded } from "../../helpers";

export const GROUP = "my-group";

export function ctx(): CodecContext {
  return {
    group: GROUP,
    warnings: new Warnings(),
    toolNames: new NameMap(null),
    toolIds: new NameMap(null),
    clientTools: new Map(),
    random: seeded(),
  };
}

/** A context as the glue builds it for a Responses upstream: NameMaps with this codec's rules. */
export function encodeCtx(target: Partial<ModelConfig> = {}): EncodeRequestContext {
  return {
    ...ctx(),
    toolNames: new NameMap(responsesCodec.toolNameRule),
    toolIds: new NameMap(responsesCodec.toolIdRule),
    target: {
      name: "m",
      apiType: "openai",
      model: "gpt-test",
      apiBase: "https://api.example/v1",
      apiKey: "",
      rewriteHeader: {},
      timeouts: DEFAULT_TIMEOUTS,
      ...target,
    },
  };
}

/** The codec's decodeRequest of `body` with a model added; a returned error fails the test. */
export function decodeRequestOk(body: Record<string, unknown>, c = ctx()): IRRequest {
  const out = responsesCodec.decodeRequest({ model: "g", ...body }, c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  return out;
}

/** A request of one user turn, with `over` on top. */
export const irRequest = (over: Partial<IRRequest> = {}): IRRequest => ({
  model: "g",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
  tools: [],
  stream: false,
  ...over,
});

/** The fields the codec warned about. */
export const warnedFields = (c: CodecContext) => c.warnings.list.map((w) => w.what);
