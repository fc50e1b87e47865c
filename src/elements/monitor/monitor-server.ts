import {
  ConnectionEventType,
  State,
  type Connection,
  type ConnectionEvent,
} from '../../api/gen/connection.js';
import type { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { connectionMetadataKey, metadataKey, metadataOf } from '../../chain/metadata.js';
import type { MonitorHandler } from '../../chain/monitor.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { clientConnectionKey } from '../../chain/peer.js';
import { ConnectionMonitor } from './connection-monitor.js';
import { startPassthrough } from './passthrough.js';

export interface MonitorServerOptions {
  /** The endpoint's lifetime: aborting it ends every subscription and passthrough loop. Required. */
  readonly chainSignal: AbortSignal;
}

/** Publishes connection events to the monitor's subscribers (Go's `monitor.EventConsumer`). */
export interface EventConsumer {
  send(event: ConnectionEvent): void;
}

/** The monitor element plus the MonitorConnection service to serve next to it. */
export type MonitorServerElement = NetworkServiceElement & {
  /** Serve this as the endpoint's MonitorConnection service (alone or at the end of a monitor chain). */
  readonly monitorConnections: MonitorHandler;
  /** Monitor subscriptions currently open (for leak checks). */
  readonly subscribers: number;
};

/** Per-connection state, present once a Request succeeded: the passthrough loop's cancel, if any. */
interface MonitorState {
  readonly cancelLoop: (() => void) | undefined;
}

const stateKey = metadataKey<MonitorState>('monitor/state');
const consumerKey = metadataKey<EventConsumer>('monitor/event-consumer');

/** The monitor's event consumer for the connection being handled, or undefined before `monitor` ran. */
export function eventConsumerOf(ctx: CallContext): EventConsumer | undefined {
  return ctx.value(connectionMetadataKey)?.server.get(consumerKey);
}

/** An event about `connection` (the monitor copies what it is sent). */
function update(connection: Connection, type: ConnectionEventType): ConnectionEvent {
  return { type, connections: { [connection.id]: connection } };
}

/**
 * Server `monitor`: reports every connection of the endpoint on its MonitorConnection service (UPDATE after
 * each successful Request, DELETE on Close, DOWN when a refresh fails), gives elements after it an
 * {@link EventConsumer} (`eventConsumerOf(ctx)`) to publish their own events such as REFRESH_REQUESTED, and,
 * when the endpoint continues to a next hop (`dial` put a connection in client metadata), passes the next
 * hop's changes to the connection through.
 *
 * Where in the chain: in every endpoint, after `metadata` and `timeout`, before `trimPath`.
 * @example
 * const monitor = monitorServer({ chainSignal });
 * serve(url, { networkService: networkServiceHandler([..., metadata(), monitor, ...]),
 *              monitorConnection: monitor.monitorConnections });
 * @throws ConfigError when `chainSignal` is not an AbortSignal
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/monitor
 */
export function monitorServer(options: MonitorServerOptions): MonitorServerElement {
  const chainSignal = options.chainSignal as unknown;
  if (!(chainSignal instanceof AbortSignal)) {
    throw new ConfigError('monitor: chainSignal must be an AbortSignal');
  }
  const monitor = new ConnectionMonitor(chainSignal);
  const consumer: EventConsumer = { send: (event) => monitor.send(event) };
  return {
    name: 'monitor',
    monitorConnections: { monitorConnections: (selector, ctx) => monitor.monitorConnections(selector, ctx) },
    get subscribers() {
      return monitor.subscribers;
    },
    async request(request, ctx, next) {
      const server = metadataOf(ctx, 'server');
      const previous = server.take(stateKey);
      previous?.cancelLoop?.();
      server.set(consumerKey, consumer);
      let connection: Connection;
      try {
        connection = await next.request(request, ctx);
      } catch (error) {
        if (previous !== undefined && request.connection !== undefined) {
          monitor.send(update({ ...request.connection, state: State.DOWN }, ConnectionEventType.UPDATE));
        }
        throw error;
      }
      monitor.send(update(connection, ConnectionEventType.UPDATE));
      const peer = metadataOf(ctx, 'client').get(clientConnectionKey);
      const cancelLoop =
        peer === undefined ? undefined : startPassthrough({ peer, connection, monitor, chainSignal, ctx });
      server.set(stateKey, { cancelLoop });
      return connection;
    },
    async close(connection, ctx, next) {
      metadataOf(ctx, 'server').take(stateKey)?.cancelLoop?.();
      try {
        await next.close(connection, ctx);
      } finally {
        monitor.send(update(connection, ConnectionEventType.DELETE));
      }
    },
  };
}
