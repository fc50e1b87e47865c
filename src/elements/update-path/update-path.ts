import { randomUUID } from 'node:crypto';
import { Connection, Path, PathSegment } from '../../api/gen/connection.js';
import { ConfigError, invalidArgument } from '../../chain/errors.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/** The connection this hop sends on, and the index the caller had (restored on the way back). */
interface Updated {
  readonly connection: Connection;
  readonly callerIndex: number;
}

function withSegment(path: Path, index: number, segment: PathSegment): PathSegment[] {
  const segments = [...path.pathSegments];
  segments[index] = segment;
  return segments;
}

/**
 * NSM's path state machine (Go `updatepath.updatePath`), on copies: the input is never changed.
 * @internal
 */
export function updatePath(input: Connection | undefined, name: string): Updated {
  const conn = input ?? Connection.create();
  const path = conn.path ?? Path.create();
  const segments = path.pathSegments;
  if (segments.length === 0) {
    const id = conn.id === '' ? randomUUID() : conn.id;
    const first = PathSegment.fromPartial({ name, id });
    return {
      connection: { ...conn, id, path: { ...path, index: 0, pathSegments: [first] } },
      callerIndex: 0,
    };
  }
  const index = path.index;
  const current = segments[index];
  if (current !== undefined && current.name === name) {
    // Our own segment: a refresh, or the inner client of a server with the same name.
    return { connection: { ...conn, id: current.id }, callerIndex: index };
  }
  if (current === undefined) {
    throw invalidArgument(
      'UPDATEPATH_INDEX_OUT_OF_RANGE',
      `update-path: path index ${index} + 1 is beyond the ${segments.length} path segments`,
    );
  }
  if (current.id !== conn.id) {
    throw invalidArgument(
      'UPDATEPATH_ID_MISMATCH',
      `update-path: current path segment id ${current.id} differs from connection id ${conn.id}`,
    );
  }
  const nextIndex = index + 1;
  const existing = segments[nextIndex];
  let pathSegments: PathSegment[];
  if (existing === undefined) {
    pathSegments = [...segments, PathSegment.fromPartial({ name, id: randomUUID() })];
  } else if (existing.name !== name) {
    // The path diverged here (another forwarder, another endpoint): this hop starts a new segment.
    pathSegments = withSegment(path, nextIndex, { ...existing, name, id: randomUUID() });
  } else {
    pathSegments = segments;
  }
  const id = (pathSegments[nextIndex] as PathSegment).id;
  return {
    connection: { ...conn, id, path: { ...path, index: nextIndex, pathSegments } },
    callerIndex: index,
  };
}

/** The returned connection as the caller sees it: its own segment's id and index (a copy). */
function callerView(conn: Connection, callerIndex: number): Connection {
  const segment = conn.path?.pathSegments[callerIndex];
  if (conn.path === undefined || segment === undefined) return conn;
  return { ...conn, id: segment.id, path: { ...conn.path, index: callerIndex } };
}

export function updatePathElement(name: string): NetworkServiceElement {
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError('update-path: name must be a non-empty string');
  }
  return {
    name: 'update-path',
    async request(request, ctx, next) {
      const { connection, callerIndex } = updatePath(request.connection, name);
      const returned = await next.request({ ...request, connection }, ctx);
      return callerView(returned, callerIndex);
    },
    async close(conn, ctx, next) {
      return next.close(updatePath(conn, name).connection, ctx);
    },
  };
}
