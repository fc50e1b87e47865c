import type { Connection } from '../../api/gen/connection.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/** Set in the client half by a successful `trimPathClient` Request: this hop continued the path. */
const continuedKey = metadataKey<true>('trim-path/continued');

function trimmed(conn: Connection): Connection {
  const path = conn.path;
  if (path === undefined || path.pathSegments.length <= path.index + 1) return conn;
  return { ...conn, path: { ...path, pathSegments: path.pathSegments.slice(0, path.index + 1) } };
}

export function trimPathServerElement(): NetworkServiceElement {
  return {
    name: 'trim-path',
    async request(request, ctx, next) {
      const client = metadataOf(ctx, 'client');
      // Only a client reached during this Request counts: a flag left by an earlier one is dropped first.
      client.delete(continuedKey);
      const conn = await next.request(request, ctx);
      return client.take(continuedKey) === true ? conn : trimmed(conn);
    },
  };
}

export function trimPathClientElement(): NetworkServiceElement {
  return {
    name: 'trim-path',
    async request(request, ctx, next) {
      const conn = await next.request(request, ctx);
      metadataOf(ctx, 'client').set(continuedKey, true);
      return conn;
    },
  };
}
