/**
 * The peer's connections a shared monitor stream keeps for followers that join later (`shared-stream.ts`),
 * by the key the peer sends them under, and found by the id of our path segment in them.
 * @module
 */
import type { Connection } from './gen/connection.js';

export class SeenConnections {
  readonly #entries = new Map<string, { readonly connection: Connection; readonly ids: readonly string[] }>();
  readonly #keysById = new Map<string, Set<string>>();

  get size(): number {
    return this.#entries.size;
  }

  /** Keeps `connection` under `key`, found by each of `ids`; replaces what was under `key`. */
  set(key: string, connection: Connection, ids: readonly string[]): void {
    this.delete(key);
    this.#entries.set(key, { connection, ids });
    for (const id of ids) this.#keysById.set(id, (this.#keysById.get(id) ?? new Set()).add(key));
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    for (const id of entry.ids) {
      const keys = this.#keysById.get(id);
      keys?.delete(key);
      if (keys?.size === 0) this.#keysById.delete(id);
    }
  }

  /** The entries whose path has our segment with `id`, by key. */
  forId(id: string): Record<string, Connection> {
    const out: Record<string, Connection> = {};
    for (const key of this.#keysById.get(id) ?? []) out[key] = this.#entries.get(key)!.connection;
    return out;
  }
}
