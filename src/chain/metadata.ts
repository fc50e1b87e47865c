/**
 * Per-connection storage (Go's `utils/metadata`). The `metadata` element puts one record per connection id in
 * the context; elements keep their per-connection state in it under typed keys, and it is dropped when the
 * connection closes (or its first Request fails), so state kept here cannot leak.
 * @module
 */
import { contextKey, type CallContext } from './context.js';
import { Code, StatusError } from './errors.js';

/** A typed key into a metadata map. Create one per element, at module level. */
export interface MetadataKey<TValue> {
  readonly name: string;
  readonly __type?: TValue;
}

export function metadataKey<TValue>(name: string): MetadataKey<TValue> {
  return Object.freeze({ name });
}

/** One half of a connection's metadata. */
export class MetadataMap {
  readonly #values = new Map<MetadataKey<unknown>, unknown>();

  get<TValue>(key: MetadataKey<TValue>): TValue | undefined {
    return this.#values.get(key) as TValue | undefined;
  }
  set<TValue>(key: MetadataKey<TValue>, value: TValue): void {
    this.#values.set(key, value);
  }
  /** The stored value, or `create()` stored and returned. */
  getOrSet<TValue>(key: MetadataKey<TValue>, create: () => TValue): TValue {
    if (this.#values.has(key)) return this.#values.get(key) as TValue;
    const value = create();
    this.#values.set(key, value);
    return value;
  }
  /** Removes and returns the value. */
  take<TValue>(key: MetadataKey<TValue>): TValue | undefined {
    const value = this.#values.get(key) as TValue | undefined;
    this.#values.delete(key);
    return value;
  }
  delete(key: MetadataKey<unknown>): void {
    this.#values.delete(key);
  }
  get size(): number {
    return this.#values.size;
  }
}

/**
 * A connection's metadata: a client half and a server half, so an element that has both sides (timeout,
 * refresh, monitor) never collides with itself. Inside an nsmgr the inner client shares the server's record.
 */
export interface ConnectionMetadata {
  readonly client: MetadataMap;
  readonly server: MetadataMap;
}

export type Side = 'client' | 'server';

export const connectionMetadataKey = contextKey<ConnectionMetadata>('metadata');

/** The `side` half of the record in `ctx`; throws when no `metadata` element ran before the caller. */
export function metadataOf(ctx: CallContext, side: Side): MetadataMap {
  const record = ctx.value(connectionMetadataKey);
  if (record === undefined) {
    throw new StatusError(
      Code.INTERNAL,
      'metadata: no per-connection metadata in context; add metadata() before this element',
      {
        reason: 'METADATA_MISSING',
      },
    );
  }
  return record[side];
}
