/**
 * When an upstream's stream is whole: one rule per format, read by both stream paths, so the same
 * upstream bytes get the same verdict (and the model the same health) whichever client called.
 * Passthrough judges the bytes it relayed (their last frames); conversion, the events it decoded.
 */
export interface StreamEndRule {
  /**
   * The format's end event, matched against the text of a frame (or of the stream's last bytes,
   * line by line). Once it went through the answer is whole, whatever the connection does next.
   * Absent when the stream ends only with its connection (Gemini).
   */
  endEvent?: RegExp;
  /** What a finished answer carries (its finish reason), as it appears in the stream's text. */
  finish: RegExp;
  /** A stream that stops after the finish, without the end event, is whole all the same. */
  closeAfterFinish: boolean;
  /**
   * Literal text every finish contains, for a format without an end event: its arrival says only
   * the close is still due (passthrough then holds the last bytes for it, see relay/reads.ts).
   */
  finishText?: string;
  /**
   * How the end events begin, for a format whose end event can be too long for the last-frame
   * look (a Responses stream ends with the whole response): each a literal that starts a line
   * (its leading `\n`). Found in any read, the stream is over at the first read ending a frame.
   */
  endStarts?: readonly string[];
}

/** The verdict on a stream that stopped (its upstream closed, or its connection broke) after what was seen. */
export function streamComplete(
  rule: StreamEndRule,
  seen: { endEvent: boolean; finish: boolean },
): boolean {
  return seen.endEvent || (rule.closeAfterFinish && seen.finish);
}

/** The same verdict from a stream's last bytes, as passthrough has them (latin1: the marks are ASCII). */
export function tailComplete(rule: StreamEndRule, tail: string): boolean {
  return streamComplete(rule, {
    endEvent: rule.endEvent?.test(tail) ?? false,
    finish: rule.finish.test(tail),
  });
}
