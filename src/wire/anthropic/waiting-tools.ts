import type { Signature } from "../../ir";

/** A tool call on its way to the client: its block, once open, takes its buffered fragments. */
export interface Tool {
  tool: number;
  id: string;
  name: string;
  signature?: Signature;
  args: string[];
  ended: boolean;
}

/**
 * Tool calls that started while another call's block was open, in order, and found by their
 * call number: an upstream that interleaves many parallel calls costs a lookup per fragment and
 * per end, never a scan of the queue.
 */
export class WaitingTools {
  private readonly queue: Tool[] = [];
  private head = 0;
  private readonly byTool = new Map<number, Tool>();

  push(t: Tool): void {
    this.queue.push(t);
    this.byTool.set(t.tool, t);
  }

  get(tool: number): Tool | undefined {
    return this.byTool.get(tool);
  }

  shift(): Tool | undefined {
    if (this.head === this.queue.length) return undefined;
    const t = this.queue[this.head++]!;
    this.byTool.delete(t.tool);
    if (this.head === this.queue.length) ((this.queue.length = 0), (this.head = 0));
    return t;
  }
}
