/** The per-connection-id table both `begin` variants keep, and the queueing rules they share. */
import type { Connection } from '../../api/gen/connection.js';
import type { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { invalidArgument } from '../../chain/errors.js';
import type { CallContext } from '../../chain/context.js';
import type { NetworkServiceHandler } from '../../chain/network-service.js';
import { ConnectionEvents, eventFactoryKey, type ReselectFunc } from './event-factory.js';

export class ConnectionTable {
  readonly #byId = new Map<string, ConnectionEvents>();

  constructor(
    private readonly side: 'client' | 'server',
    private readonly reselect?: ReselectFunc,
  ) {}

  get(id: string): ConnectionEvents | undefined {
    return this.#byId.get(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Forgets `events` if it is still the entry for `id`. */
  drop(id: string, events: ConnectionEvents): void {
    if (this.#byId.get(id) === events) this.#byId.delete(id);
  }

  /**
   * Runs `work` on the executor of `id`'s factory (created on first use), in FIFO order with every other event
   * of that id. When the factory was replaced while the work waited (the connection was closed and opened
   * again), the work starts over on the new one. A call whose context is cancelled before its turn comes does
   * nothing and throws the abort reason.
   */
  async runRequest<TResult>(
    id: string,
    ctx: CallContext,
    next: NetworkServiceHandler,
    work: (events: ConnectionEvents) => Promise<TResult>,
  ): Promise<TResult> {
    const owner = this.#byId.get(id) ?? this.#create(id, ctx, next);
    return owner.executor.run(async () => {
      // Restarted while still holding the old queue, so calls queued behind this one keep their order.
      if (this.#byId.get(id) !== owner) return this.runRequest(id, ctx, next, work);
      if (ctx.signal.aborted) {
        if (owner.state !== 'established') owner.markClosed();
        throw ctx.signal.reason;
      }
      return work(owner);
    });
  }

  /**
   * A new entry for `id`. Made here, not in `runRequest`: its closures live as long as the connection, and
   * there they would keep that first call's `work` (and through it the request) alive with them.
   */
  #create(id: string, ctx: CallContext, next: NetworkServiceHandler): ConnectionEvents {
    const created: ConnectionEvents = new ConnectionEvents(ctx, next, {
      side: this.side,
      forget: () => this.drop(id, created),
      isCurrent: () => (this.#byId.get(id) ?? created) === created,
      reselect: this.reselect,
    });
    this.#byId.set(id, created);
    return created;
  }

  /**
   * Closes `id` with the last connection returned for it, whatever the caller sent, in turn with its other
   * events. An unknown, unestablished or replaced connection is left alone and `next` is not called.
   */
  async runClose(id: string, ctx: CallContext, next: NetworkServiceHandler): Promise<void> {
    const events = this.#byId.get(id);
    if (events === undefined) return;
    await events.executor.run(async () => {
      // Replaced while this Close waited (closed, then requested again): it closes the current connection.
      if (this.#byId.get(id) !== events) return this.runClose(id, ctx, next);
      const stored = events.stored?.connection;
      if (events.state !== 'established' || stored === undefined) return;
      try {
        await next.close(stored, ctx.with(eventFactoryKey, events));
      } catch (error) {
        events.lastCloseFailed = true;
        throw error;
      } finally {
        events.markClosed();
      }
    });
  }
}

/** The connection of a request; an empty id is refused, since every per-connection table keys on it. */
export function requireConnection(request: NetworkServiceRequest): Connection {
  const connection = request.connection;
  if (connection === undefined || connection.id === '') {
    throw invalidArgument('BEGIN_EMPTY_ID', 'begin: request.connection.id must not be empty');
  }
  return connection;
}
