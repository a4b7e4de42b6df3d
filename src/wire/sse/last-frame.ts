const LF = 0x0a;
const CR = 0x0d;
/** End-of-stream frames are short; a longer last frame is not one of them. */
const WINDOW = 512;

/**
 * The text of the last SSE frame in `chunk` when the chunk ends exactly where a frame does (at a
 * blank line), without its line ends; undefined otherwise, or when that frame is long. Only the
 * chunk's last bytes are looked at.
 */
export function lastFrame(chunk: Uint8Array): string | undefined {
  let end = chunk.length;
  let lineEnds = 0;
  while (end > 0 && (chunk[end - 1] === LF || chunk[end - 1] === CR)) {
    end -= chunk[end - 1] === LF && chunk[end - 2] === CR ? 2 : 1;
    lineEnds++;
  }
  if (lineEnds < 2 || end === 0) return undefined;
  const start = Math.max(0, end - WINDOW);
  const text = Buffer.from(chunk.buffer, chunk.byteOffset + start, end - start).toString("latin1");
  const blank = Math.max(after(text, "\n\n"), after(text, "\r\n\r\n"), after(text, "\r\r"));
  if (blank < 0 && start > 0) return undefined;
  return text.slice(Math.max(blank, 0));
}

function after(text: string, separator: string): number {
  const at = text.lastIndexOf(separator);
  return at < 0 ? -1 : at + separator.length;
}
