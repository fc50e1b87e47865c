/**
 * The monitor's current view of its connections, indexed by path segment id so that a subscriber whose
 * selector names one (every heal and passthrough stream does) gets its initial state without a scan of all
 * connections.
 * @module
 */
import type { Connection, MonitorScopeSelector } from '../../api/gen/connection.js';
import { filterConnections } from './selector.js';

export class ConnectionView {
  readonly #connections = new Map<string, Connection>();
  readonly #bySegmentId = new Map<string, Set<string>>();

  set(connection: Connection): void {
    this.delete(connection.id);
    this.#connections.set(connection.id, connection);
    for (const segment of connection.path?.pathSegments ?? []) {
      const ids = this.#bySegmentId.get(segment.id) ?? new Set<string>();
      this.#bySegmentId.set(segment.id, ids.add(connection.id));
    }
  }

  delete(id: string): void {
    const old = this.#connections.get(id);
    if (old === undefined) return;
    this.#connections.delete(id);
    for (const segment of old.path?.pathSegments ?? []) {
      const ids = this.#bySegmentId.get(segment.id);
      ids?.delete(id);
      if (ids?.size === 0) this.#bySegmentId.delete(segment.id);
    }
  }

  /** The connections in the scope of `selector`, by id; `key` is a segment id the selector requires. */
  matching(selector: MonitorScopeSelector, key: string | undefined): Record<string, Connection> {
    if (key === undefined) return filterConnections(this.#connections, selector);
    const candidates = new Map<string, Connection>();
    for (const id of this.#bySegmentId.get(key) ?? []) {
      const connection = this.#connections.get(id);
      if (connection !== undefined) candidates.set(id, connection);
    }
    return filterConnections(candidates, selector);
  }
}
