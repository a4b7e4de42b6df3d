import { DEFAULT_MEDIA, type MediaSettings, type ModelConfig } from "../../../src/config/types";
import type { IRRequest, MediaPart, Part, RouterError } from "../../../src/ir";
import type { Logger, LogFields } from "../../../src/log";
import type { Lookup } from "../../../src/upstream/media/destination";
import { RequestMedia, type SharedBudget } from "../../../src/upstream/media/request-media";

/** A request whose one user turn holds an image per URL (a file part for `.pdf` URLs). */
export function irWith(urls: string[]): IRRequest {
  const parts: MediaPart[] = urls.map((url) =>
    url.endsWith(".pdf") ? { type: "file", url } : { type: "image", url },
  );
  return {
    model: "g",
    system: [],
    messages: [{ role: "user", parts: [{ type: "text", text: "look" }, ...parts] }],
    tools: [],
    stream: false,
  };
}

export const mediaOf = (ir: IRRequest): MediaPart[] =>
  ir.messages
    .flatMap((m): Part[] => m.parts)
    .filter((p): p is MediaPart => p.type === "image" || p.type === "file");

export interface Logged {
  level: string;
  msg: string;
  fields: LogFields;
}

export function recordingLogger(): Logger & { lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}) =>
      void lines.push({ level, msg, fields });
  return {
    level: "trace",
    lines,
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

export const settings = (over: Partial<MediaSettings> = {}): MediaSettings => ({
  ...DEFAULT_MEDIA,
  ...over,
});

export const geminiModel = (over: Partial<ModelConfig> = {}) =>
  ({ name: "ge", apiType: "gemini", ...over }) as ModelConfig;

export interface RunOptions {
  model?: ModelConfig;
  lookup?: Lookup;
  signal?: AbortSignal;
  shared?: SharedBudget;
  media?: RequestMedia;
}

export interface Run {
  error: RouterError | undefined;
  ir: IRRequest;
  log: Logged[];
  media: RequestMedia;
}

/** One conversion attempt's download step for `urls`, as converted() runs it for a Gemini target. */
export async function run(
  urls: string[],
  over: Partial<MediaSettings> = {},
  opts: RunOptions = {},
): Promise<Run> {
  const log = recordingLogger();
  const media =
    opts.media ??
    new RequestMedia(
      settings(over),
      opts.signal ?? new AbortController().signal,
      opts.shared,
      opts.lookup,
    );
  const ir = irWith(urls);
  const error = await media.inline(ir, () => true, opts.model ?? geminiModel(), log, "grp");
  return { error, ir, log: log.lines, media };
}

/** The reason the log gives for a failed download. */
export const reasonOf = (r: Run) =>
  String(r.log.find((l) => l.msg === "media download failed")?.fields.reason);

/** A lookup answering from a table, counting its calls; unknown names fail like getaddrinfo. */
export function tableLookup(table: Record<string, string>): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    calls.push(host);
    const address = table[host];
    if (!address)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return [{ address, family: address.includes(":") ? 6 : 4 }];
  };
  return Object.assign(lookup, { calls });
}
