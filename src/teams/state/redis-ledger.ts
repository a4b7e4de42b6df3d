/**
 * Ledger reads for `GET /v1/usage` on a connection of their own: a report of many keys sends
 * thousands of reads, which on the admissions' connection would queue ahead of admissions for
 * longer than their timeout. The connection is made on the first read, and again after a failure.
 */
import type { RedisClient } from "bun";
import type { LedgerEntry } from "../types";
import { ledgerKey, newClient, withTimeout } from "./redis-script";

export class LedgerReader {
  private client: RedisClient | undefined;
  private connection: Promise<RedisClient> | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * `key`'s ledger for each period id, read once `before` has settled (its settlements on their
   * way over the other connection); rejects when Redis has not answered within the timeout.
   */
  async read(
    key: string,
    periodIds: string[],
    before: Promise<unknown>,
  ): Promise<Map<string, LedgerEntry[]>> {
    let late = false;
    const hashes = async () => {
      await before;
      if (late) throw new Error("given up");
      const client = await this.connect();
      const reads = periodIds.map((id) => client.send("HGETALL", [ledgerKey(key, id)]));
      return (await Promise.all(reads)) as Record<string, string>[];
    };
    let found: Record<string, string>[];
    try {
      found = await withTimeout(hashes(), this.timeoutMs);
    } catch (err) {
      late = true;
      // A connection that stopped answering is not used again: the next read makes a new one.
      this.close();
      throw err;
    }
    return new Map(periodIds.map((id, i) => [id, parseLedger(found[i]!)]));
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    this.connection = undefined;
    client?.close();
  }

  private connect(): Promise<RedisClient> {
    if (this.connection) return this.connection;
    const client = newClient(this.url, this.timeoutMs);
    this.client = client;
    // Closed by the server or the network: the next read connects again.
    client.onclose = () => {
      if (this.client === client) this.close();
    };
    this.connection = client.connect().then(() => client);
    return this.connection;
  }
}

/** A ledger hash (fields `usd` and `<group>\t<model>\t<field>`) as entries per group and model. */
function parseLedger(hash: Record<string, string>): LedgerEntry[] {
  const entries = new Map<string, LedgerEntry>();
  for (const field in hash) {
    const last = field.lastIndexOf("\t");
    const first = field.indexOf("\t");
    if (first < 0 || first === last) continue;
    const at = field.slice(0, last);
    let entry = entries.get(at);
    if (!entry) {
      entry = {
        group: field.slice(0, first),
        model: field.slice(first + 1, last),
        requests: 0,
        usd: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 },
      };
      entries.set(at, entry);
    }
    const name = field.slice(last + 1);
    const value = Number(hash[field]);
    if (name === "requests" || name === "usd") entry[name] = value;
    else if (name in entry.tokens) entry.tokens[name as keyof LedgerEntry["tokens"]] = value;
  }
  return [...entries.values()];
}
