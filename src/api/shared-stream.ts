/**
 * One MonitorConnections stream to a peer that serves every follower of a connection whose path has a
 * segment with our name: see `shared-monitor.ts` for why and when.
 * @module
 */
import type { Subscriber, Subscription } from 'rxjs';
import {
  ConnectionEventType,
  MonitorScopeSelector,
  type Connection,
  type ConnectionEvent,
} from './gen/connection.js';
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
  /** Set when the stream was refused and this follower got a stream of its own. */
  direct?: Subscription;
}

/** Entries kept for connections nobody follows yet (see `#unclaimed`); the oldest go first beyond this. */
const MAX_UNCLAIMED = 1024;

type Entry = readonly [key: string, connection: Connection];

export class SharedStream {
  readonly name: string;
  readonly #followers = new Map<string, Set<Follower>>();
  /**
   * The last entry seen for each connection id nobody follows yet. A Request's response and the peer's UPDATE
   * for it race; the follower that subscribes after that UPDATE gets it here as its initial state, as a stream
   * of its own opened then would have. A DELETE drops the entry: a new stream would not see the connection.
   */
  readonly #unclaimed = new Map<string, Entry>();
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
      const left = [...this.#followers.values()].flatMap((group) => [...group]);
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
      if (this.#followers.get(follower.id)?.has(follower) !== true) return;
      const found = this.#unclaimed.get(follower.id);
      this.#unclaimed.delete(follower.id);
      const connections = found === undefined ? {} : { [found[0]]: found[1] };
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

  #deliver(event: ConnectionEvent): void {
    const initial = !this.#ready || event.type === ConnectionEventType.INITIAL_STATE_TRANSFER;
    const first = !this.#ready;
    this.#ready = true;
    const out = new Map<Follower, Record<string, Connection>>();
    for (const [key, connection] of Object.entries(event.connections)) {
      for (const segment of connection.path?.pathSegments ?? []) {
        if (segment.name !== this.name) continue;
        const group = this.#followers.get(segment.id);
        if (group === undefined) this.#remember(segment.id, [key, connection], event.type);
        else for (const follower of group) out.set(follower, { ...out.get(follower), [key]: connection });
      }
    }
    const type = initial ? ConnectionEventType.INITIAL_STATE_TRANSFER : event.type;
    // Every follower waiting for the first event gets an initial state, even an empty one (as Go sends it).
    const targets = first ? [...this.#followers.values()].flatMap((group) => [...group]) : [...out.keys()];
    for (const follower of targets) {
      // An earlier follower's handler may have removed this one.
      if (this.#followers.get(follower.id)?.has(follower) !== true) continue;
      follower.subscriber.next({ type, connections: out.get(follower) ?? {} });
    }
  }

  #remember(id: string, entry: Entry, type: ConnectionEventType): void {
    this.#unclaimed.delete(id);
    if (type === ConnectionEventType.DELETE) return;
    this.#unclaimed.set(id, entry);
    if (this.#unclaimed.size > MAX_UNCLAIMED) this.#unclaimed.delete(this.#unclaimed.keys().next().value!);
  }
}
