/**
 * `router_settings.state_file`: the in-process ledger kept in SQLite so spend survives a restart.
 * SQLite rather than an append-only file: a row per (key, period, group, model) is rewritten in
 * place, so the file stays as small as the ledger itself however long the router runs, and WAL
 * makes each flush one short transaction. Rate windows are not kept: they are a minute long.
 */
import { Database, type Statement } from "bun:sqlite";
import type { Logger } from "../../log";
import type { TokenCounts } from "../types";

/** One (key, period, group, model) line of the ledger; the store mutates it, the file copies it. */
export interface LedgerRow {
  readonly key: string;
  /** The period id (`day:2026-12-08`). */
  readonly period: string;
  /** Unix ms when the period started: orders a key's periods when old ones are dropped. */
  readonly start: number;
  readonly group: string;
  readonly model: string;
  requests: number;
  usd: number;
  readonly tokens: TokenCounts;
}

interface StoredRow {
  key: string;
  period: string;
  start: number;
  grp: string;
  model: string;
  requests: number;
  usd: number;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS ledger (
  key TEXT NOT NULL, period TEXT NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL,
  start INTEGER NOT NULL, requests INTEGER NOT NULL, usd REAL NOT NULL,
  input INTEGER NOT NULL, output INTEGER NOT NULL, cache_read INTEGER NOT NULL,
  cache_write INTEGER NOT NULL, reasoning INTEGER NOT NULL,
  PRIMARY KEY (key, period, grp, model)
) WITHOUT ROWID`;

export interface LedgerFileOptions {
  /** Changes are written at most this often (ms). */
  flushMs: number;
  log?: Logger;
  /** Called after each write that reached the file. */
  onFlush?: () => void;
}

/** The ledger's file: loaded once, then written in batches of changed rows. */
export class LedgerFile {
  private readonly db: Database;
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly changedRows = new Set<LedgerRow>();
  private readonly droppedPeriods: { key: string; period: string }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failing = false;
  /** After close, a late settlement (a request that outlived a replaced store) is not written. */
  private closed = false;

  constructor(
    readonly path: string,
    private readonly options: LedgerFileOptions,
  ) {
    try {
      this.db = new Database(path, { create: true, strict: true });
      // One process owns the file while it runs: rows hold totals, so two writers would each
      // overwrite the other's spend. The lock is taken now, and a second router fails to start.
      this.db.run("PRAGMA locking_mode = EXCLUSIVE");
      this.db.run("PRAGMA journal_mode = WAL");
      this.db.run("BEGIN IMMEDIATE");
      this.db.run("COMMIT");
      this.db.run(SCHEMA);
      this.upsert = this.db.prepare(
        `INSERT OR REPLACE INTO ledger VALUES ($key, $period, $grp, $model, $start, $requests,
         $usd, $input, $output, $cache_read, $cache_write, $reasoning)`,
      );
      this.remove = this.db.prepare("DELETE FROM ledger WHERE key = $key AND period = $period");
    } catch (err) {
      throw unreadable(path, err);
    }
  }

  /** Every row the file holds. */
  load(): LedgerRow[] {
    try {
      const rows = this.db.query("SELECT * FROM ledger").all() as StoredRow[];
      return rows.map((r) => ({
        key: r.key,
        period: r.period,
        start: r.start,
        group: r.grp,
        model: r.model,
        requests: r.requests,
        usd: r.usd,
        tokens: {
          input: r.input,
          output: r.output,
          cache_read: r.cache_read,
          cache_write: r.cache_write,
          reasoning: r.reasoning,
        },
      }));
    } catch (err) {
      throw unreadable(this.path, err);
    }
  }

  /** The row's values changed: it is written with the next flush. */
  changed(row: LedgerRow): void {
    if (this.closed) return;
    this.changedRows.add(row);
    this.schedule();
  }

  /** A key's period left the ledger: its rows leave the file with the next flush. */
  dropped(key: string, period: string): void {
    if (this.closed) return;
    for (const row of this.changedRows)
      if (row.key === key && row.period === period) this.changedRows.delete(row);
    this.droppedPeriods.push({ key, period });
    this.schedule();
  }

  /** Writes what changed in one transaction; on failure keeps it for the next try. */
  flush(): void {
    this.timer = undefined;
    if (this.changedRows.size === 0 && this.droppedPeriods.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const d of this.droppedPeriods) this.remove.run(d);
        for (const row of this.changedRows) this.upsert.run(stored(row));
      })();
    } catch (err) {
      // A full disk must not stop the router: spend stays counted in memory and is retried.
      if (!this.failing)
        this.options.log?.warn(`state_file ${this.path}: cannot write spend`, {
          error: String(err),
        });
      this.failing = true;
      this.schedule();
      return;
    }
    this.failing = false;
    this.changedRows.clear();
    this.droppedPeriods.length = 0;
    this.options.onFlush?.();
  }

  close(): void {
    clearTimeout(this.timer);
    this.flush();
    clearTimeout(this.timer);
    this.closed = true;
    // Statements left open would keep the file (and its lock) held past close.
    this.upsert.finalize();
    this.remove.finalize();
    this.db.close();
  }

  /** One timer at a time, started by the first change after a flush: at most one flush per flushMs. */
  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), this.options.flushMs);
    // Pending spend never keeps the process alive; close() writes it on the way out.
    this.timer.unref();
  }
}

function stored(row: LedgerRow): StoredRow {
  const t = row.tokens;
  return {
    key: row.key,
    period: row.period,
    start: row.start,
    grp: row.group,
    model: row.model,
    requests: row.requests,
    usd: row.usd,
    input: t.input,
    output: t.output,
    cache_read: t.cache_read,
    cache_write: t.cache_write,
    reasoning: t.reasoning,
  };
}

function unreadable(path: string, err: unknown): Error {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ");
  const busy = /locked|busy/i.test(reason) ? " (another llm-router process is using it)" : "";
  return new Error(`state_file ${path} cannot be used: ${reason}${busy}`);
}
