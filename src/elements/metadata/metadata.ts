import { connectionMetadataKey, MetadataMap, type ConnectionMetadata } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

const fresh = (): ConnectionMetadata => ({ client: new MetadataMap(), server: new MetadataMap() });

/**
 * Per-connection storage: puts the record of the connection's id in the context for the elements after it,
 * creating it on the first Request and dropping it on Close, or when that first Request fails. When the
 * context already holds a record (the inner client chain of an nsmgr or forwarder), it is shared as is.
 *
 * Where in the chain: after `begin` (so calls for one id never overlap), before every element that keeps
 * per-connection state. One element serves server and client chains; each side reads its own half.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/utils/metadata
 */
export function metadata(): NetworkServiceElement & { readonly size: number } {
  const records = new Map<string, ConnectionMetadata>();
  return {
    name: 'metadata',
    get size() {
      return records.size;
    },
    async request(request, ctx, next) {
      if (ctx.value(connectionMetadataKey) !== undefined) return next.request(request, ctx);
      const id = request.connection?.id ?? '';
      let record = records.get(id);
      const created = record === undefined;
      if (record === undefined) {
        record = fresh();
        records.set(id, record);
      }
      try {
        return await next.request(request, ctx.with(connectionMetadataKey, record));
      } catch (error) {
        if (created && records.get(id) === record) records.delete(id);
        throw error;
      }
    },
    close(connection, ctx, next) {
      if (ctx.value(connectionMetadataKey) !== undefined) return next.close(connection, ctx);
      // Removed before next runs, yet handed down, so elements can read their state during the Close.
      const record = records.get(connection.id) ?? fresh();
      records.delete(connection.id);
      return next.close(connection, ctx.with(connectionMetadataKey, record));
    },
  };
}
