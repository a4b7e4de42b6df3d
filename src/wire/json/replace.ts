import { JsonStringRewriter, type KeyPath } from "./string-rewriter";

/**
 * Whole-document edits of the one value that names the model (a request's `model`, an answer's
 * model name), with rewriters prepared once per path and replacement: every request of a group
 * needs the same edit.
 */

/** Prepared rewriters by path (the wire formats' constant arrays), kind and replacement. */
const prepared = {
  first: new WeakMap<KeyPath, Map<string, JsonStringRewriter>>(),
  every: new WeakMap<KeyPath, Map<string, JsonStringRewriter>>(),
};

/** Every request or answer of a group or model needs the same edit: its rewriter is prepared once. */
function preparedRewriter(
  kind: "first" | "every",
  path: KeyPath,
  replacement: string,
): JsonStringRewriter {
  let byValue = prepared[kind].get(path);
  if (!byValue) prepared[kind].set(path, (byValue = new Map()));
  let rewriter = byValue.get(replacement);
  if (!rewriter) {
    if (byValue.size >= 1024) byValue.clear(); // names come from the config, but reloads can change them
    byValue.set(
      replacement,
      (rewriter = new JsonStringRewriter(path, replacement, { once: kind === "first" })),
    );
  }
  rewriter.reset();
  return rewriter;
}

/**
 * A whole document with every value at `path` replaced (the document itself when there is none),
 * when the bytes say unambiguously where the value is; undefined when a key at one
 * of the path's depths is written with an escape, or the path's key occurs more than once. Parsers
 * differ there (one keeps the first duplicate, another the last; `"m\u006fdel"` is `"model"` to
 * them), so the caller must write the document anew from what it parsed instead of editing bytes.
 * Found on the same single walk.
 */
export function replaceUnambiguous(
  doc: Uint8Array,
  path: KeyPath,
  replacement: string,
): Uint8Array | undefined {
  const rewriter = preparedRewriter("every", path, replacement);
  const out = rewriter.push(doc);
  return rewriter.escapedKey || rewriter.pathKeys > 1 ? undefined : out;
}

/** A whole document with the first value at `path` replaced (the document itself when there is none). */
export function replaceFirst(doc: Uint8Array, path: KeyPath, replacement: string): Uint8Array {
  const rewriter = preparedRewriter("first", path, replacement);
  const at = rewriter.locate(doc);
  if (!at) return doc;
  const value = rewriter.replacementBytes;
  const out = new Uint8Array(doc.length - (at[1] - at[0]) + value.length);
  out.set(doc.subarray(0, at[0]));
  out.set(value, at[0]);
  out.set(doc.subarray(at[1]), at[0] + value.length);
  return out;
}
