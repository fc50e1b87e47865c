import type { Connection } from '../../api/gen/connection.js';
import { msFromTimestamp } from '../../api/timestamp.js';

/**
 * How long to wait before refreshing `connection`: a share of the shortest time left on any path segment's
 * token. One segment refreshes at 1/3 of it; on a longer path the share is 0.2 + 0.2·index/length, so hops
 * nearer the endpoint refresh a little later than the client (fewer redundant refreshes along the path). A
 * segment without `expires` counts as expired, as in NSM; nothing left (or no segment) gives 1 ms.
 */
export function refreshAfterMs(connection: Connection, nowMs: number): number {
  const segments = connection.path?.pathSegments ?? [];
  let minMs: number | undefined;
  for (const segment of segments) {
    const left = (segment.expires === undefined ? 0 : msFromTimestamp(segment.expires)) - nowMs;
    if (minMs === undefined || left < minMs) minMs = left;
  }
  if (minMs === undefined || minMs <= 0) return 1;
  const index = connection.path?.index ?? 0;
  const scale = segments.length > 1 ? 0.2 + (0.2 * index) / segments.length : 1 / 3;
  return minMs * scale;
}
