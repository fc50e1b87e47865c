/**
 * The query cache's entries: the answer to one query (its items by name), kept current by a background watch
 * of the same query (which reports registrations that match it) and one watch per item by name (which reports
 * an item that changed so it no longer matches, or went away: the query's own watch never sends those). Dropped
 * when not read for the expire timeout. Go sweeps on a ticker; here every lookup sweeps, so the cache owns no
 * timer: an idle cache keeps its entries until the next lookup or the end of the chain.
 */
import type { Subscription } from 'rxjs';

interface Entry<T> {
  readonly items: Map<string, T>;
  /** The watch of each item by name; a name is present while its watch is being opened too. */
  readonly itemWatches: Map<string, Subscription | undefined>;
  expiresAt: number;
  queryWatch: Subscription | undefined;
  evicted: boolean;
}

/** What the background watches report. */
export interface WatchSink<T> {
  /** A registration that matches the query, new or changed. */
  upsert(name: string, item: T): void;
  /** A registration that went away or no longer matches. */
  remove(name: string): void;
  /** A watch ended or failed: the answer can no longer be trusted. */
  evict(): void;
}

export interface Watchers<T> {
  query(sink: WatchSink<T>): Subscription;
  item(name: string, sink: WatchSink<T>): Subscription;
}

/** @internal */
export class QueryCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #expireTimeoutMs: number;
  readonly #maxEntries: number;

  constructor(expireTimeoutMs: number, maxEntries: number) {
    this.#expireTimeoutMs = expireTimeoutMs;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached items for `key`, extending the entry's life; undefined when absent or emptied by removals. */
  load(key: string, now: number): T[] | undefined {
    this.#sweep(now);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.items.size === 0) {
      this.evict(key, entry);
      return undefined;
    }
    entry.expiresAt = now + this.#expireTimeoutMs;
    // Most recently read last: the first entry is the one to drop when the cache is full.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return [...entry.items.values()];
  }

  /** Caches `items` under `key` unless an answer is cached already, and starts its watches. */
  store(key: string, items: ReadonlyMap<string, T>, now: number, watchers: Watchers<T>): void {
    this.#sweep(now);
    if (this.#entries.has(key)) return;
    const entry: Entry<T> = {
      items: new Map(),
      itemWatches: new Map(),
      expiresAt: now + this.#expireTimeoutMs,
      queryWatch: undefined,
      evicted: false,
    };
    this.#entries.set(key, entry);
    for (const [oldest, old] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.evict(oldest, old);
    }
    const sink: WatchSink<T> = {
      upsert: (name, item) => {
        if (entry.evicted) return;
        entry.items.set(name, item);
        if (entry.itemWatches.has(name)) return;
        // Marked first: a watch may report (and so call back here) before it is returned.
        entry.itemWatches.set(name, undefined);
        const watch = watchers.item(name, sink);
        if (entry.evicted || !entry.itemWatches.has(name)) watch.unsubscribe();
        else entry.itemWatches.set(name, watch);
      },
      remove: (name) => {
        entry.items.delete(name);
        entry.itemWatches.get(name)?.unsubscribe();
        entry.itemWatches.delete(name);
      },
      evict: () => this.evict(key, entry),
    };
    for (const [name, item] of items) sink.upsert(name, item);
    const queryWatch = watchers.query(sink);
    if (entry.evicted) queryWatch.unsubscribe();
    else entry.queryWatch = queryWatch;
  }

  evict(key: string, entry: Entry<T> | undefined = this.#entries.get(key)): void {
    if (entry === undefined || entry.evicted) return;
    entry.evicted = true;
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
    entry.queryWatch?.unsubscribe();
    for (const watch of entry.itemWatches.values()) watch?.unsubscribe();
    entry.itemWatches.clear();
  }

  clear(): void {
    for (const [key, entry] of [...this.#entries]) this.evict(key, entry);
  }

  /** Evicts what was not read within the expire timeout. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt < now) this.evict(key, entry);
  }
}
