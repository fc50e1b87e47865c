/**
 * Following one connection through the next hop's MonitorConnections stream: the selector to ask with and
 * the filter that `monitor` (passthrough), `heal` and `upstreamrefresh` apply to what comes back (Go's
 * per-package `clientFilter`).
 */
import { defer, filter, map, type MonoTypeOperatorFunction } from 'rxjs';
import { cloneMessage, protoEqual } from '../../api/clone.js';
import {
  Connection,
  ConnectionEventType,
  MonitorScopeSelector,
  PathSegment,
  State,
  type ConnectionEvent,
} from '../../api/gen/connection.js';

/** The selector for `connection`'s entry at the next hop: the `{id, name}` of its current path segment. */
export function nextHopSelector(connection: Connection): MonitorScopeSelector {
  const path = connection.path;
  const current = path?.pathSegments[path.index];
  return MonitorScopeSelector.fromPartial({
    pathSegments: [PathSegment.fromPartial({ id: current?.id ?? '', name: current?.name ?? '' })],
  });
}

/** How {@link followConnection} differs between its users. */
export interface FollowOptions {
  /** Drop INITIAL_STATE_TRANSFER entries whose state equals ours (monitor passthrough). Default: false. */
  readonly skipUnchangedInitial?: boolean;
  /** Only look at UPDATE and INITIAL_STATE_TRANSFER events (upstreamrefresh). Default: false. */
  readonly updatesOnly?: boolean;
  /** `connection` is the caller's own copy, never changed: used as is, not copied. Default: false. */
  readonly owned?: boolean;
}

function follows(incoming: Connection, mine: Connection): boolean {
  const index = mine.path?.index ?? 0;
  const segments = incoming.path?.pathSegments ?? [];
  if (segments.length < index + 1 || segments[index]?.id !== mine.id) return false;
  const theirIndex = incoming.path?.index ?? 0;
  return theirIndex === index || theirIndex === index + 1;
}

/**
 * Turns the next hop's events into UPDATE events about `connection` only: an entry counts when our id sits at
 * our index of its path and its index is ours or the next one. Each such entry becomes our connection with the
 * downstream path (index reset to ours), context and state; DELETE becomes DOWN; an entry equal to the last
 * one passed on is dropped, and so is an event left empty. Each subscription keeps its own "last" copy.
 */
export function followConnection(
  connection: Connection,
  options: FollowOptions = {},
): MonoTypeOperatorFunction<ConnectionEvent> {
  return (source) =>
    defer(() => {
      let mine = options.owned === true ? connection : cloneMessage(connection);
      const step = (event: ConnectionEvent): ConnectionEvent | undefined => {
        const { type } = event;
        const ignored =
          options.updatesOnly === true &&
          type !== ConnectionEventType.UPDATE &&
          type !== ConnectionEventType.INITIAL_STATE_TRANSFER;
        if (ignored) return undefined;
        const out: Record<string, Connection> = {};
        for (const incoming of Object.values(event.connections)) {
          if (!follows(incoming, mine)) continue;
          const initial = type === ConnectionEventType.INITIAL_STATE_TRANSFER;
          if (options.skipUnchangedInitial === true && initial && incoming.state === mine.state) continue;
          const index = mine.path?.index ?? 0;
          // Compared before it is copied: most entries are the echo of what we already hold.
          const candidate: Connection = {
            ...mine,
            path: { ...(incoming.path ?? { index, pathSegments: [] }), index },
            context: incoming.context,
            state: type === ConnectionEventType.DELETE ? State.DOWN : incoming.state,
          };
          if (protoEqual(Connection, candidate, mine)) continue;
          mine = cloneMessage(candidate);
          out[mine.id] = mine;
        }
        if (Object.keys(out).length === 0) return undefined;
        return { type: ConnectionEventType.UPDATE, connections: out };
      };
      return source.pipe(
        map(step),
        filter((event): event is ConnectionEvent => event !== undefined),
      );
    });
}
