/** The units config.yaml writes sizes and durations in, and their conversion to the router's. */

/** Sizes: plain bytes, or decimal (KB/MB/GB) and binary (KiB/MiB/GiB) units. */
export const SIZE_PATTERN = "^\\s*\\d+(\\.\\d+)?\\s*([kKMG]i?B|B)?\\s*$";

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
};

/**
 * The bytes a size such as "32MiB" stands for, rounded down; undefined when the text is not a
 * size. The result is not range-checked: "0KB" is 0 and "9999999GB" is past safe integers.
 */
export function sizeInBytes(text: string): number | undefined {
  const m = SIZE.exec(text);
  const factor = m ? UNITS[(m[2] || "B").toUpperCase()] : undefined;
  return m && factor !== undefined ? Math.floor(Number(m[1]) * factor) : undefined;
}

export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}
