// Prompt caching as one deployment of the Messages API does it, reduced to rules a test can
// predict. Each mock instance started with `promptCache: true` is one deployment with a cache of
// its own, so a conversation that moves to another instance loses what it had cached.
import { canonicalJson } from "../util.ts";

/** What one generation request read from and wrote to its instance's cache, in tokens. */
export interface CacheUse {
  /** the text of the conversation's first user turn, which tells the tests' conversations apart */
  conversation: string;
  /** `cache_read_input_tokens`: the longest prefix an earlier request to this instance wrote */
  read: number;
  /** `cache_creation_input_tokens`: from there up to the request's last breakpoint */
  written: number;
  /** `input_tokens`: what follows the last breakpoint (all of it when there is none) */
  uncached: number;
}

export interface PromptCache {
  /** one entry per generation request this instance answered, in order */
  readonly uses: CacheUse[];
  /** Counts the request against the cache, and stores the prefixes it marks. */
  serve(body: any): CacheUse;
  /** Forgets both the record and the cached prefixes: a cold deployment. */
  clear(): void;
}

/** A block's cost: a quarter token per byte of its JSON, like the service's rough average. */
const tokensOf = (json: string): number => Math.ceil(Buffer.byteLength(json) / 4);

interface Block {
  /** role (or `tools` / `system`) and canonical JSON without cache_control: its identity */
  key: string;
  tokens: number;
  breakpoint: boolean;
}

const asBlocks = (content: unknown): any[] =>
  typeof content === "string" ? [{ type: "text", text: content }] : (content as any[]);

/**
 * The prompt in the order the service caches it: tools, then system, then every message's
 * content blocks (a string is one text block). `cache_control` marks a breakpoint and is no part
 * of a block's identity, so a breakpoint that moves on to a later turn still finds the prefix.
 */
function blocksOf(body: any): Block[] {
  const sections: [string, any[]][] = [
    ["tools", body.tools ?? []],
    ["system", body.system === undefined ? [] : asBlocks(body.system)],
    ...(body.messages as any[]).map((m): [string, any[]] => [m.role, asBlocks(m.content)]),
  ];
  return sections.flatMap(([where, blocks]) =>
    blocks.map((b) => {
      const { cache_control, ...rest } = b;
      const json = canonicalJson(rest);
      return { key: `${where}:${json}`, tokens: tokensOf(json), breakpoint: cache_control != null };
    }),
  );
}

function firstUserText(body: any): string {
  const first = (body.messages as any[]).find((m) => m.role === "user");
  if (!first) return "";
  return asBlocks(first.content)
    .map((b) => (b?.type === "text" ? b.text : ""))
    .join("");
}

/**
 * The rules: a request writes the prefix that ends at each of its `cache_control` breakpoints,
 * and reads the longest prefix, ending at any block up to its last breakpoint, that an earlier
 * request to this instance wrote. Simplifications, none visible to conversations that grow by a
 * few blocks a turn: the service looks back at most 20 blocks from a breakpoint, has a minimum
 * cacheable length, and expires entries after 5 minutes; this cache has none of that.
 */
export function createPromptCache(): PromptCache {
  // Prefixes are kept as a running hash over block identities: one number per cached prefix.
  const written = new Set<bigint>();
  const uses: CacheUse[] = [];
  return {
    uses,
    serve(body) {
      const blocks = blocksOf(body);
      const last = blocks.findLastIndex((b) => b.breakpoint);
      let hash = 0n;
      let readUpTo = -1;
      const toWrite: bigint[] = [];
      blocks.forEach((b, i) => {
        hash = Bun.hash.wyhash(b.key, hash);
        if (i > last) return;
        if (written.has(hash)) readUpTo = i;
        if (b.breakpoint) toWrite.push(hash);
      });
      for (const h of toWrite) written.add(h);
      const sum = (from: number, to: number) =>
        blocks.slice(from, to).reduce((n, b) => n + b.tokens, 0);
      const use: CacheUse = {
        conversation: firstUserText(body),
        read: sum(0, readUpTo + 1),
        written: sum(readUpTo + 1, last + 1),
        uncached: sum(last + 1, blocks.length),
      };
      uses.push(use);
      return use;
    },
    clear() {
      written.clear();
      uses.length = 0;
    },
  };
}

/**
 * The input side of a Messages usage object, in the service's field order. Without a cache every
 * input token is uncached (`words`, the mock's usual count); with one, its byte-based counts.
 */
export function inputUsage(cache: PromptCache | undefined, body: any, words: number) {
  const use = cache?.serve(body);
  const written = use?.written ?? 0;
  return {
    input_tokens: use?.uncached ?? words,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: use?.read ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: written, ephemeral_1h_input_tokens: 0 },
  };
}
