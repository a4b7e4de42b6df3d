const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A fresh id like `call_…` or `toolu_…` (24 base62 characters: unique, and within OpenAI's 40-char limit). */
export function synthId(prefix: string, random: () => number, length = 24): string {
  let s = prefix;
  for (let i = 0; i < length; i++) s += BASE62[Math.floor(random() * 62)]!;
  return s;
}
