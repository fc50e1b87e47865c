/**
 * The query cache's entries: one NSE per name, each kept fresh by a background watch and dropped when not read
 * for the expire timeout (Go `querycache` cache).
 */
import type { Subscription } from 'rxjs';
import type { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import type { Clock, Timer } from '../../chain/clock.js';

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
  #ticker: { clock: Clock; timer: Timer } | undefined;

  constructor(expireTimeoutMs: number) {
    this.#expireTimeoutMs = expireTimeoutMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached NSE for `name`, extending its life; an expired entry is evicted and misses. */
  load(name: string, clock: Clock): NetworkServiceEndpoint | undefined {
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    if (entry.expiresAt < clock.now()) {
      this.evict(name, entry);
      return undefined;
    }
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
    if (this.#entries.has(nse.name)) return false;
    const entry: Entry = {
      nse,
      expiresAt: clock.now() + this.#expireTimeoutMs,
      watch: undefined,
      evicted: false,
    };
    this.#entries.set(nse.name, entry);
    this.#startTicker(clock);
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
    if (this.#entries.size === 0) this.#stopTicker();
  }

  clear(): void {
    for (const [name, entry] of [...this.#entries]) this.evict(name, entry);
  }

  /** Every expire timeout, evicts what was not read within it; runs only while there are entries. */
  #startTicker(clock: Clock): void {
    if (this.#ticker !== undefined) return;
    const tick = (): void => {
      const now = clock.now();
      for (const [name, entry] of [...this.#entries]) if (entry.expiresAt < now) this.evict(name, entry);
      if (this.#ticker !== undefined)
        this.#ticker = { clock, timer: clock.setTimeout(tick, this.#expireTimeoutMs) };
    };
    this.#ticker = { clock, timer: clock.setTimeout(tick, this.#expireTimeoutMs) };
  }

  #stopTicker(): void {
    this.#ticker?.timer.cancel();
    this.#ticker = undefined;
  }
}
