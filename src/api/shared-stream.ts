/**
 * One MonitorConnections stream to a peer that serves every follower of a connection whose path has a
 * segment with our name: see `shared-monitor.ts` for why and when.
 * @module
 */
import type { Subscriber, Subscription } from 'rxjs';
import {
  ConnectionEventType,
  MonitorScopeSelector,
  State,
  type Connection,
  type ConnectionEvent,
} from './gen/connection.js';
import { SeenConnections } from './seen-connections.js';
import { withCancel, type CancelScope } from '../chain/cancel.js';
import { outgoingMetadataOf, withOutgoingHeaders } from '../chain/call-metadata.js';
import { CallContext } from '../chain/context.js';
import type { MonitorHandler } from '../chain/monitor.js';

/** One subscriber that asked for `{id, name}`: the connection whose segment named `name` has this id. */
export interface Follower {
  readonly id: string;
  readonly selector: MonitorScopeSelector;
  readonly ctx: CallContext;
  readonly subscriber: Subscriber<ConnectionEvent>;
  /** Set once it has its initial state: only then does it get the stream's events. */
  started?: boolean;
  /** Set when the stream was refused and this follower got a stream of its own. */
  direct?: Subscription;
}

export class SharedStream {
  readonly name: string;
  readonly #followers = new Map<string, Set<Follower>>();
  /**
   * What a follower joining later must find in its initial state, as a stream of its own would show it: every
   * entry the peer sent that no started follower of its connection has received (a Request's response and
   * the peer's UPDATE for it race), and every entry whose state is not UP (DOWN, REFRESH_REQUESTED, ...), until
   * the peer deletes the connection or reports it UP to a follower. An UP entry a follower received is left
   * out: it is what each follower holds after its own Request, and no follower acts on it.
   */
  readonly #seen = new SeenConnections();
  readonly #scope: CancelScope;
  #subscription: Subscription | undefined;
  #count = 0;
  #ready = false;

  /**
   * `ctx` gives the stream its outgoing headers (the token) only: the stream outlives that call, so it keeps
   * none of its values and is cancelled by `cancel()` alone.
   */
  constructor(name: string, ctx: CallContext) {
    this.name = name;
    this.#scope = withCancel(withOutgoingHeaders(CallContext.background(), outgoingMetadataOf(ctx)));
  }

  get followers(): number {
    return this.#count;
  }

  /** Opens the stream; `ended` runs once with the followers left when the peer ends or fails it. */
  start(inner: MonitorHandler, ended: (error: unknown, ready: boolean, followers: Follower[]) => void): void {
    const selector = MonitorScopeSelector.fromPartial({ pathSegments: [{ name: this.name }] });
    const end = (error?: unknown): void => {
      if (this.#scope.ctx.signal.aborted) return;
      this.#scope.cancel();
      const left = this.#all();
      this.#followers.clear();
      this.#count = 0;
      ended(error, this.#ready, left);
    };
    this.#subscription = inner
      .monitorConnections(selector, this.#scope.ctx)
      .subscribe({ next: (event) => this.#deliver(event), error: end, complete: () => end() });
  }

  /** Adds a follower; once the stream has its initial state, the follower gets its own on the next tick. */
  add(follower: Follower): void {
    const group = this.#followers.get(follower.id) ?? new Set<Follower>();
    this.#followers.set(follower.id, group.add(follower));
    this.#count++;
    if (!this.#ready) return;
    // Not synchronously: a subscriber that reacts to its first event by unsubscribing has no handle yet.
    queueMicrotask(() => {
      if (!this.#has(follower)) return;
      follower.started = true;
      const connections = this.#seen.forId(follower.id);
      follower.subscriber.next({ type: ConnectionEventType.INITIAL_STATE_TRANSFER, connections });
    });
  }

  /** Removes a follower; returns how many are left. */
  remove(follower: Follower): number {
    const group = this.#followers.get(follower.id);
    if (group?.delete(follower) !== true) return this.#count;
    if (group.size === 0) this.#followers.delete(follower.id);
    return --this.#count;
  }

  cancel(): void {
    this.#scope.cancel();
    this.#subscription?.unsubscribe();
  }

  #has(follower: Follower): boolean {
    return this.#followers.get(follower.id)?.has(follower) === true;
  }

  #all(): Follower[] {
    return [...this.#followers.values()].flatMap((group) => [...group]);
  }

  #deliver(event: ConnectionEvent): void {
    // The stream's first event is every current follower's initial state, even an empty one (as Go sends it).
    const first = !this.#ready;
    this.#ready = true;
    const out = new Map<Follower, Record<string, Connection>>();
    for (const [key, connection] of Object.entries(event.connections)) {
      const ids = segmentIds(connection, this.name);
      let received = false;
      for (const id of ids) {
        for (const follower of this.#followers.get(id) ?? []) {
          if (!first && follower.started !== true) continue;
          out.set(follower, { ...out.get(follower), [key]: connection });
          received = true;
        }
      }
      if (event.type === ConnectionEventType.DELETE) this.#seen.delete(key);
      else if (received && connection.state === State.UP) this.#seen.delete(key);
      else this.#seen.set(key, connection, ids);
    }
    const type = first ? ConnectionEventType.INITIAL_STATE_TRANSFER : event.type;
    for (const follower of first ? this.#all() : [...out.keys()]) {
      // An earlier follower's handler may have removed this one.
      if (!this.#has(follower)) continue;
      follower.started = true;
      follower.subscriber.next({ type, connections: out.get(follower) ?? {} });
    }
  }
}

/** The ids of `connection`'s path segments named `name` (a path may pass the same component more than once). */
function segmentIds(connection: Connection, name: string): string[] {
  const ids: string[] = [];
  for (const segment of connection.path?.pathSegments ?? []) {
    if (segment.name === name && !ids.includes(segment.id)) ids.push(segment.id);
  }
  return ids;
}
