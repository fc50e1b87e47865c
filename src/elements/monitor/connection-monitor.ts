/**
 * The endpoint's MonitorConnection service (Go's `monitorConnectionServer`): the current view of its
 * connections and the subscribers watching it.
 */
import { Observable } from 'rxjs';
import { cloneMessage } from '../../api/clone.js';
import {
  ConnectionEventType,
  type Connection,
  type ConnectionEvent,
  type MonitorScopeSelector,
} from '../../api/gen/connection.js';
import type { CallContext } from '../../chain/context.js';
import type { MonitorHandler } from '../../chain/monitor.js';
import { onAbort } from '../../chain/on-abort.js';
import { filterConnections } from './selector.js';
import { ConnectionView } from './connection-view.js';
import { WatcherIndex, type Watcher } from './watcher-index.js';

function copyAll(connections: Record<string, Connection>): Record<string, Connection> {
  const out: Record<string, Connection> = {};
  for (const [id, connection] of Object.entries(connections)) out[id] = cloneMessage(connection);
  return out;
}

/**
 * Keeps `connection id → connection` from the UPDATE and DELETE events it is sent and fans every event out
 * to its subscribers, each filtered by its selector. Events are delivered one at a time and in order: an event
 * sent while another is being delivered (by a subscriber reacting synchronously) waits for it.
 */
export class ConnectionMonitor implements MonitorHandler {
  readonly #connections = new ConnectionView();
  readonly #watchers = new WatcherIndex();
  readonly #queue: ConnectionEvent[] = [];
  #delivering = false;

  constructor(private readonly chainSignal: AbortSignal) {}

  /** Subscribers currently attached (for leak checks in tests). */
  get subscribers(): number {
    return this.#watchers.size;
  }

  /**
   * INITIAL_STATE_TRANSFER of the matching connections (even when empty), then each later event that keeps at
   * least one connection after filtering. Completes when `ctx.signal` or the chain signal aborts.
   */
  monitorConnections(selector: MonitorScopeSelector, ctx: CallContext): Observable<ConnectionEvent> {
    return new Observable<ConnectionEvent>((subscriber) => {
      const signals = [ctx.signal, this.chainSignal];
      if (signals.some((signal) => signal.aborted)) {
        subscriber.complete();
        return undefined;
      }
      const copy = cloneMessage(selector);
      const key = copy.pathSegments.find((segment) => segment.id !== '')?.id;
      const watcher: Watcher = { selector: copy, subscriber, key };
      const end = (): void => subscriber.complete();
      const detach = signals.map((signal) => onAbort(signal, end));
      this.#watchers.add(watcher);
      subscriber.next({
        type: ConnectionEventType.INITIAL_STATE_TRANSFER,
        connections: copyAll(this.#connections.matching(watcher.selector, key)),
      });
      return () => {
        for (const off of detach) off();
        this.#watchers.delete(watcher);
      };
    });
  }

  /** Records and publishes `event`. An INITIAL_STATE_TRANSFER is ignored: only a subscription makes one. */
  send(event: ConnectionEvent): void {
    if (event.type === ConnectionEventType.INITIAL_STATE_TRANSFER) return;
    this.#queue.push(cloneMessage(event));
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        this.#deliver(next);
      }
    } finally {
      this.#delivering = false;
    }
  }

  #deliver(event: ConnectionEvent): void {
    for (const connection of Object.values(event.connections)) {
      if (event.type === ConnectionEventType.UPDATE) this.#connections.set(connection);
      if (event.type === ConnectionEventType.DELETE) this.#connections.delete(connection.id);
    }
    for (const { selector, subscriber } of this.#watchers.candidates(Object.values(event.connections))) {
      const connections = filterConnections(event.connections, selector);
      if (Object.keys(connections).length === 0) continue;
      subscriber.next({ type: event.type, connections: copyAll(connections) });
    }
  }
}
