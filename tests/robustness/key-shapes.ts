import fc from "fast-check";

/**
 * Raw request bodies whose keys are ambiguous about the model: the key twice, or written with an
 * escape a parser reads as `model` (issue 13). Passthrough must not edit such bytes in place (an
 * upstream that keeps the first duplicate would run another model); the fuzzers send them.
 */
export type KeyShape =
  "escaped-before" | "duplicate-before" | "escaped-after" | "escaped-other-key";

export const keyShapeArb: fc.Arbitrary<KeyShape> = fc.constantFrom(
  "escaped-before",
  "duplicate-before",
  "escaped-after",
  "escaped-other-key",
);

/** `text` (a JSON object's text) with the shape written into its top level; other texts as they are. */
export function withKeyShape(text: string, shape: KeyShape, group: string): string {
  if (!text.startsWith("{") || !text.endsWith("}")) return text;
  const empty = text === "{}";
  const first = (member: string) => (empty ? `{${member}}` : `{${member},${text.slice(1)}`);
  switch (shape) {
    case "escaped-before":
      return first(`"m\\u006fdel":"model-no-group-allows"`);
    case "duplicate-before":
      return first(`"model":"model-no-group-allows"`);
    case "escaped-after":
      return empty ? text : `${text.slice(0, -1)},"m\\u006fdel":${JSON.stringify(group)}}`;
    case "escaped-other-key":
      // The first key's first letter as an escape: `"\u006dessages"` and the like.
      return text.replace(
        /^\{"([a-z])/,
        (_, c: string) => `{"\\u00${c.charCodeAt(0).toString(16)}`,
      );
  }
}
