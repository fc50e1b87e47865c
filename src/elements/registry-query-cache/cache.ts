/**
 * The query cache's entries: the answer to one query (its items by name), kept current by a background watch
 * of the same query and dropped when not read for the expire timeout. Go sweeps on a ticker; here every
 * lookup sweeps, so the cache owns no timer: an idle cache keeps its entries (one watch each) until the next
 * lookup or the end of the chain.
 */
import type { Subscription } from 'rxjs';

interface Entry<T> {
  readonly items: Map<string, T>;
  expiresAt: number;
  /** The background watch keeping `items` current; ended on eviction. */
  watch: Subscription | undefined;
  evicted: boolean;
}

/** What a background watch reports. */
export interface WatchSink<T> {
  upsert(name: string, item: T): void;
  remove(name: string): void;
  /** The watch ended or failed: the entry can no longer be trusted. */
  evict(): void;
}

/** @internal */
export class QueryCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #expireTimeoutMs: number;

  constructor(expireTimeoutMs: number) {
    this.#expireTimeoutMs = expireTimeoutMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached items for `key`, extending the entry's life; undefined when absent or emptied by deletions. */
  load(key: string, now: number): T[] | undefined {
    this.#sweep(now);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.items.size === 0) {
      this.evict(key, entry);
      return undefined;
    }
    entry.expiresAt = now + this.#expireTimeoutMs;
    return [...entry.items.values()];
  }

  /**
   * Caches `items` under `key` unless an answer is cached already; `watch` is then called to start the entry's
   * background watch, which reports through the sink.
   */
  store(
    key: string,
    items: ReadonlyMap<string, T>,
    now: number,
    watch: (sink: WatchSink<T>) => Subscription,
  ): void {
    this.#sweep(now);
    if (this.#entries.has(key)) return;
    const entry: Entry<T> = {
      items: new Map(items),
      expiresAt: now + this.#expireTimeoutMs,
      watch: undefined,
      evicted: false,
    };
    this.#entries.set(key, entry);
    const subscription = watch({
      upsert: (name, item) => void entry.items.set(name, item),
      remove: (name) => void entry.items.delete(name),
      evict: () => this.evict(key, entry),
    });
    if (entry.evicted) subscription.unsubscribe();
    else entry.watch = subscription;
  }

  evict(key: string, entry: Entry<T> | undefined = this.#entries.get(key)): void {
    if (entry === undefined || entry.evicted) return;
    entry.evicted = true;
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
    entry.watch?.unsubscribe();
  }

  clear(): void {
    for (const [key, entry] of [...this.#entries]) this.evict(key, entry);
  }

  /** Evicts what was not read within the expire timeout. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt < now) this.evict(key, entry);
  }
}
