import {
  close,
  constants,
  fstat,
  fstatSync,
  ftruncate,
  lstat,
  open,
  openSync,
  rename,
  write,
} from "node:fs";
import { promisify } from "node:util";

const closeAsync = promisify(close);
const fstatAsync = promisify(fstat);
const ftruncateAsync = promisify(ftruncate);
const lstatAsync = promisify(lstat);
const openAsync = promisify(open);
const renameAsync = promisify(rename);
const writeAsync = promisify(write);

/**
 * Append-only, created if missing, never through a symbolic link: the log holds request details,
 * and a link planted at its path (or at the path after a rotation) would send them, or a
 * truncation, to any file the router may write. Created readable by its owner alone.
 */
const OPEN_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const OPEN_MODE = 0o600;

// "10 MB" read either way (10^7 or 2^20 × 10), this stays under it.
export const DEFAULT_MAX_FILE_BYTES = 10_000_000;
// One write per batch keeps syscalls few under a flood; small enough that a batch never holds the loop.
const BATCH_BYTES = 256 * 1024;

interface Entry {
  text: string;
  bytes: number;
}

/**
 * Appends lines to a file that never grows past `maxBytes`: before a line that would not fit, the
 * file is renamed to `PATH.1` (replacing the previous one in one step) and a new file is started.
 * Writes are queued and done asynchronously by a single drain loop, so callers never wait on the
 * disk and batches are ordered; the size is tracked here rather than asked of the disk.
 */
export class FileSink {
  private fd: number;
  private size: number;
  private queue: Entry[] = [];
  private head = 0;
  private queuedBytes = 0;
  private dropped = 0;
  private droppedTotal = 0;
  private draining: Promise<void> | null = null;
  private closed = false;
  private failing = false;
  // Everything beyond two files' worth would be rotated away before anyone could read it.
  private readonly backlogBytes: number;

  constructor(
    readonly path: string,
    readonly maxBytes: number = DEFAULT_MAX_FILE_BYTES,
    private readonly report: (problem: string) => void = () => {},
  ) {
    if (!(maxBytes >= 1024))
      throw new RangeError(`log file cap must be at least 1024 bytes, got ${maxBytes}`);
    this.backlogBytes = Math.max(2 * maxBytes, 1024 * 1024);
    // Synchronous on purpose: this runs once at startup, and a bad path should fail there, loudly.
    try {
      this.fd = openSync(path, OPEN_FLAGS, OPEN_MODE);
    } catch (e) {
      throw new Error(openFailure(path, e));
    }
    this.size = fstatSync(this.fd).size;
  }

  write(line: string): void {
    if (this.closed) return;
    let text = line + "\n";
    let bytes = Buffer.byteLength(text);
    if (bytes > this.maxBytes) {
      text = oversized(line, bytes, this.maxBytes);
      bytes = Buffer.byteLength(text);
    }
    this.queue.push({ text, bytes });
    this.queuedBytes += bytes;
    while (this.queuedBytes > this.backlogBytes && this.queue.length - this.head > 1) {
      this.queuedBytes -= this.queue[this.head++]!.bytes;
      this.dropped++;
      this.droppedTotal++;
    }
    this.draining ??= this.drain();
  }

  /** For tests and diagnostics: bytes waiting for the disk, and records dropped since creation. */
  stats(): { pendingBytes: number; dropped: number } {
    return { pendingBytes: this.queuedBytes, dropped: this.droppedTotal };
  }

  /** Resolves once everything written so far is on disk (in the OS's hands). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    if (this.closed) return this.flush();
    this.closed = true;
    await this.flush();
    await closeAsync(this.fd).catch(() => {});
  }

  private async drain(): Promise<void> {
    try {
      while (this.head < this.queue.length) {
        if (this.dropped) this.noteDropped();
        if (this.fd < 0) await this.reopen();
        if (this.size > 0 && this.size + this.queue[this.head]!.bytes > this.maxBytes)
          await this.rotate();
        const room = Math.min(this.maxBytes - this.size, BATCH_BYTES);
        let bytes = 0;
        const parts: string[] = [];
        while (
          this.head < this.queue.length &&
          (parts.length === 0 || bytes + this.queue[this.head]!.bytes <= room)
        ) {
          const e = this.queue[this.head++]!;
          parts.push(e.text);
          bytes += e.bytes;
        }
        this.queuedBytes -= bytes;
        this.compact();
        await this.writeAll(Buffer.from(parts.join("")));
      }
    } catch (e) {
      // Nothing here is expected to throw; if it does, an unhandled rejection would be worse than a lost batch.
      this.report(`log file writer failed: ${(e as Error).message}`);
    } finally {
      this.draining = null;
    }
  }

  private async writeAll(buf: Buffer): Promise<void> {
    try {
      for (let off = 0; off < buf.length;) {
        const { bytesWritten: n } = await writeAsync(this.fd, buf, off, buf.length - off, null);
        off += n;
        this.size += n;
      }
      this.failing = false;
    } catch (e) {
      // A full or vanished disk must not take the router down; say so once per outage, then keep trying.
      if (!this.failing) this.report(`cannot write log file ${this.path}: ${(e as Error).message}`);
      this.failing = true;
    }
  }

  /**
   * The open file becomes PATH.1 by a rename (which works on an open file) and a new PATH is
   * opened. Without the rename, the cap is kept by truncating the open file itself: a path is
   * never opened for truncation, so nothing planted at it can be emptied. Only a file that is no
   * longer at its path (deleted, replaced) is left for a new one.
   */
  private async rotate(): Promise<void> {
    const old = this.fd;
    try {
      await renameAsync(this.path, this.path + ".1");
    } catch (e) {
      if (await this.stillAtPath(old)) {
        this.report(`cannot rotate log file ${this.path}: ${(e as Error).message}; truncating it`);
        try {
          await ftruncateAsync(old, 0);
          this.size = 0;
          return;
        } catch (t) {
          this.report(`cannot truncate log file ${this.path}: ${(t as Error).message}`);
        }
      } else {
        this.report(
          `cannot rotate log file ${this.path}: ${(e as Error).message}; starting a new one`,
        );
      }
    }
    this.fd = -1;
    await closeAsync(old).catch(() => {});
    await this.reopen();
  }

  private async stillAtPath(fd: number): Promise<boolean> {
    try {
      const [open, there] = await Promise.all([fstatAsync(fd), lstatAsync(this.path)]);
      return open.ino === there.ino && open.dev === there.dev;
    } catch {
      return false;
    }
  }

  /** Leaves fd at -1 when the file cannot be opened; writes then fail, are reported, and the next batch retries. */
  private async reopen(): Promise<void> {
    try {
      this.fd = await openAsync(this.path, OPEN_FLAGS, OPEN_MODE);
      this.size = (await fstatAsync(this.fd)).size;
    } catch (e) {
      this.fd = -1;
      this.size = 0;
      if (!this.failing) this.report(openFailure(this.path, e));
      this.failing = true;
    }
  }

  private noteDropped(): void {
    const text =
      JSON.stringify({
        time: new Date().toISOString(),
        level: "warn",
        msg: "log file writer fell behind; oldest records dropped",
        dropped: this.dropped,
      }) + "\n";
    this.dropped = 0;
    const entry = { text, bytes: Buffer.byteLength(text) };
    this.queuedBytes += entry.bytes;
    if (this.head > 0) this.queue[--this.head] = entry;
    else this.queue.unshift(entry);
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

function openFailure(path: string, e: unknown): string {
  // O_NOFOLLOW reports a link at the path as ELOOP, whose own wording ("too many levels of
  // symbolic links") would hide the reason.
  if ((e as NodeJS.ErrnoException).code === "ELOOP")
    return `cannot open log file ${path}: it is a symbolic link, which is refused; give the real path`;
  return `cannot open log file ${path}: ${(e as Error).message}`;
}

/** A record that alone would break the cap is replaced by a notice carrying its beginning. */
function oversized(line: string, bytes: number, maxBytes: number): string {
  // Escaping can grow a character to six bytes, so the head is sized for the worst case.
  const head = line.slice(0, Math.floor((maxBytes - 300) / 6 / 2));
  return (
    JSON.stringify({
      time: new Date().toISOString(),
      level: "warn",
      msg: "log record too large for the log file; truncated",
      bytes,
      head,
    }) + "\n"
  );
}
