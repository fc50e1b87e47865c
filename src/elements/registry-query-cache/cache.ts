/**
 * The query cache's entries: one NSE per name, each kept fresh by a background watch and dropped when not read
 * for the expire timeout (Go `querycache` cache). Go sweeps on a ticker; here every load and store sweeps, so
 * the cache owns no timer: an idle cache keeps its entries (each one watch, for a registration that still
 * exists) until the next lookup or the end of the chain.
 */
import type { Subscription } from 'rxjs';
import type { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import type { Clock } from '../../chain/clock.js';

interface Entry {
  nse: NetworkServiceEndpoint;
  expiresAt: number;
  /** The background watch keeping `nse` current; ended on eviction. */
  watch: Subscription | undefined;
  evicted: boolean;
}

/** @internal */
export class NseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #expireTimeoutMs: number;

  constructor(expireTimeoutMs: number) {
    this.#expireTimeoutMs = expireTimeoutMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached NSE for `name`, extending its life; an expired entry is evicted and misses. */
  load(name: string, clock: Clock): NetworkServiceEndpoint | undefined {
    this.#sweep(clock.now());
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    entry.expiresAt = clock.now() + this.#expireTimeoutMs;
    return entry.nse;
  }

  /**
   * Stores `nse` unless its name is cached already; `watch` is then called to start the entry's background
   * watch, which reports through `update` and `evict`. Returns false when the name was cached.
   */
  store(
    nse: NetworkServiceEndpoint,
    clock: Clock,
    watch: (update: (nse: NetworkServiceEndpoint) => void, evict: () => void) => Subscription,
  ): boolean {
    this.#sweep(clock.now());
    if (this.#entries.has(nse.name)) return false;
    const entry: Entry = {
      nse,
      expiresAt: clock.now() + this.#expireTimeoutMs,
      watch: undefined,
      evicted: false,
    };
    this.#entries.set(nse.name, entry);
    const subscription = watch(
      (updated) => {
        entry.nse = updated;
      },
      () => this.evict(nse.name, entry),
    );
    if (entry.evicted) subscription.unsubscribe();
    else entry.watch = subscription;
    return true;
  }

  evict(name: string, entry: Entry | undefined = this.#entries.get(name)): void {
    if (entry === undefined || entry.evicted) return;
    entry.evicted = true;
    if (this.#entries.get(name) === entry) this.#entries.delete(name);
    entry.watch?.unsubscribe();
  }

  clear(): void {
    for (const [name, entry] of [...this.#entries]) this.evict(name, entry);
  }

  /** Evicts what was not read within the expire timeout. */
  #sweep(now: number): void {
    for (const [name, entry] of this.#entries) if (entry.expiresAt < now) this.evict(name, entry);
  }
}
