/**
 * A next-hop connection without sockets, for tests of elements that talk to the next hop (heal, monitor
 * passthrough, upstream refresh): calls go straight to local handlers, carrying only what would cross the wire
 * (cancellation, deadline, and the clock so manual-clock tests stay in step).
 * @module
 */
import { defer, EMPTY, finalize, merge, Subject } from 'rxjs';
import type { MonitorScopeSelector } from '../api/gen/connection.js';
import { clockOf, withClock } from '../chain/clock.js';
import { CallContext } from '../chain/context.js';
import type { MonitorHandler } from '../chain/monitor.js';
import type { NetworkServiceHandler } from '../chain/network-service.js';
import type { PeerConnection } from '../chain/peer.js';

const unusedRegistry = {
  register: () => Promise.reject(new Error('in-memory peer: no registry')),
  find: () => EMPTY,
  unregister: () => Promise.resolve(),
};

/** What crosses the wire: cancellation, deadline and the clock; no other context values. */
export function acrossTheWire(ctx: CallContext): CallContext {
  return withClock(CallContext.of({ signal: ctx.signal, deadline: ctx.deadline }), clockOf(ctx));
}

export interface InMemoryPeer {
  readonly peer: PeerConnection;
  /** Monitor streams open now, and every selector asked for. */
  readonly stats: { open: number; readonly selectors: MonitorScopeSelector[] };
  /** Fails every open monitor stream with `error`, as a dying peer would. */
  fail(error: unknown): void;
}

export function inMemoryPeer(
  service: NetworkServiceHandler,
  monitor: MonitorHandler,
  url = 'inmem://peer',
): InMemoryPeer {
  let breaker = new Subject<never>();
  const stats = { open: 0, selectors: [] as MonitorScopeSelector[] };
  const peer: PeerConnection = {
    url,
    networkService: {
      request: (request, ctx) => service.request(request, acrossTheWire(ctx)),
      close: (connection, ctx) => service.close(connection, acrossTheWire(ctx)),
    },
    monitorConnection: {
      monitorConnections: (selector, ctx) => {
        stats.selectors.push(selector);
        return defer(() => {
          stats.open++;
          return merge(monitor.monitorConnections(selector, acrossTheWire(ctx)), breaker).pipe(
            finalize(() => stats.open--),
          );
        });
      },
    },
    nsRegistry: unusedRegistry,
    nseRegistry: unusedRegistry,
    close: () => undefined,
  };
  return {
    peer,
    stats,
    fail(error: unknown) {
      const old = breaker;
      breaker = new Subject<never>();
      old.error(error);
    },
  };
}
