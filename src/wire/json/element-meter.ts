/**
 * Measures the elements of a streamed top-level JSON array (Gemini's stream without SSE) against a
 * cap, across reads. It rides on the walk JsonStringRewriter makes anyway: the rewriter tells it
 * where an element opens and closes in the current read, and where a read ends, so it looks at no
 * byte itself.
 */
export class ElementMeter {
  // The element in progress: where it starts in the current read (-1: outside one), and its
  // bytes in earlier reads.
  private from = -1;
  private bytes = 0;
  private firstEnded = false;
  /** An element passed the cap: the stream is to be ended. */
  oversized = false;

  constructor(private readonly cap: number) {}

  reset(): void {
    this.from = -1;
    this.bytes = 0;
    this.firstEnded = false;
    this.oversized = false;
  }

  /** Inside an element of the array (its bytes may be in earlier reads too). */
  get inElement(): boolean {
    return this.from >= 0;
  }

  /** The array's first element has not ended yet (it may not even have opened). */
  get firstPending(): boolean {
    return !this.firstEnded;
  }

  /** An element opened at byte `at` of the current read. */
  open(at: number): void {
    this.from = at;
  }

  /** The container at the element's depth closed at byte `at`: the element, when one is open. */
  close(at: number): void {
    if (this.from < 0) return;
    if (this.bytes + at + 1 - this.from > this.cap) this.oversized = true;
    this.from = -1;
    this.bytes = 0;
    this.firstEnded = true;
  }

  /** The read of `n` bytes is over: an element still open counts them, and goes on from the next read's start. */
  endRead(n: number): void {
    if (this.from < 0) return;
    this.bytes += n - this.from;
    this.from = 0;
    if (this.bytes > this.cap) this.oversized = true;
  }
}
