import { JsonStringRewriter, type KeyPath } from "./string-rewriter";

/** A TransformStream form of JsonStringRewriter for whole JSON bodies (and Gemini's streamed JSON array). */
export function jsonStringRewriteStream(path: KeyPath, replacement: string, once: boolean): TransformStream<Uint8Array, Uint8Array> {
  const rewriter = new JsonStringRewriter(path, replacement, { once });
  return new TransformStream({
    transform(chunk, controller) {
      const out = rewriter.push(chunk);
      if (out.length) controller.enqueue(out);
    },
  });
}
