/**
 * The monitor's subscribers, indexed for event delivery.
 * @module
 */
import type { Subscriber } from 'rxjs';
import type { Connection, ConnectionEvent, MonitorScopeSelector } from '../../api/gen/connection.js';

export interface Watcher {
  readonly selector: MonitorScopeSelector;
  readonly subscriber: Subscriber<ConnectionEvent>;
  /** A path segment id the selector requires (a connection without it cannot match), if any. */
  readonly key: string | undefined;
}

/**
 * Subscribers indexed by a segment id their selector requires, so an event is matched only against the
 * subscribers that can want it (a heal or passthrough stream names one connection), not against all of them.
 */
export class WatcherIndex {
  readonly #byId = new Map<string, Set<Watcher>>();
  readonly #unkeyed = new Set<Watcher>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(watcher: Watcher): void {
    const { key } = watcher;
    if (key === undefined) this.#unkeyed.add(watcher);
    else this.#byId.set(key, (this.#byId.get(key) ?? new Set()).add(watcher));
    this.#size++;
  }

  delete(watcher: Watcher): void {
    const { key } = watcher;
    const set = key === undefined ? this.#unkeyed : this.#byId.get(key);
    if (set?.delete(watcher) !== true) return;
    this.#size--;
    if (key !== undefined && set.size === 0) this.#byId.delete(key);
  }

  /** The subscribers that may match some of `connections` (each once). */
  candidates(connections: Iterable<Connection>): Watcher[] {
    const found = new Set<Watcher>(this.#unkeyed);
    for (const connection of connections) {
      for (const segment of connection.path?.pathSegments ?? []) {
        for (const watcher of this.#byId.get(segment.id) ?? []) found.add(watcher);
      }
    }
    return [...found];
  }
}
