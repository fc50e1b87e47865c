/**
 * MonitorScopeSelector matching (the api module's `MatchesMonitorScopeSelector` and
 * `FilterMapOnManagerScopeSelector`, wire-api §7.3).
 */
import type { Connection, MonitorScopeSelector, PathSegment } from '../../api/gen/connection.js';

/** An empty selector field is a wildcard; a non-empty one must equal the segment's value. */
function segmentMatches(wanted: PathSegment, actual: PathSegment | undefined): boolean {
  if (actual === undefined) return false;
  if (wanted.name !== '' && wanted.name !== actual.name) return false;
  if (wanted.id !== '' && wanted.id !== actual.id) return false;
  return wanted.token === '' || wanted.token === actual.token;
}

/** True when `selector`'s segments appear in `segments` as one contiguous run, at any offset. */
function containsRun(segments: readonly PathSegment[], wanted: readonly PathSegment[]): boolean {
  for (let offset = 0; offset + wanted.length <= segments.length; offset++) {
    if (wanted.every((segment, i) => segmentMatches(segment, segments[offset + i]))) return true;
  }
  return false;
}

/**
 * Whether `connection` is in the scope of `selector`: an empty selector matches every connection; listed
 * network services must include the connection's; listed path segments must match a contiguous run of the
 * connection's path (empty name, id or token fields are wildcards; expires and metrics are ignored).
 */
export function matchesMonitorScopeSelector(
  connection: Connection | undefined,
  selector: MonitorScopeSelector,
): boolean {
  if (connection === undefined) return false;
  const { pathSegments, networkServices } = selector;
  if (pathSegments.length === 0 && networkServices.length === 0) return true;
  if (networkServices.length > 0 && !networkServices.includes(connection.networkService)) return false;
  if (pathSegments.length === 0) return true;
  return containsRun(connection.path?.pathSegments ?? [], pathSegments);
}

/** Connections keyed by id: a map, or the `connections` record of a ConnectionEvent. */
export type ConnectionsById =
  ReadonlyMap<string, Connection> | Readonly<Record<string, Connection | undefined>>;

function entriesOf(connections: ConnectionsById): Iterable<[string, Connection | undefined]> {
  return connections instanceof Map
    ? (connections as ReadonlyMap<string, Connection>).entries()
    : Object.entries(connections as Readonly<Record<string, Connection | undefined>>);
}

/**
 * A new record with the entries of `connections` that are present and match `selector` (the same objects,
 * not copies).
 */
export function filterConnections(
  connections: ConnectionsById,
  selector: MonitorScopeSelector,
): Record<string, Connection> {
  const out: Record<string, Connection> = {};
  for (const [id, connection] of entriesOf(connections)) {
    if (connection !== undefined && matchesMonitorScopeSelector(connection, selector)) out[id] = connection;
  }
  return out;
}
