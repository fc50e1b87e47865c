/**
 * The gRPC `Dialer`. Connections to one URL share one channel (reference counted): a new gRPC channel costs a
 * few milliseconds (connect, HTTP/2 handshake), and `dial` opens a connection on every Request as NSM does, so
 * sharing is what keeps a refresh cheap. A call that fails with UNAVAILABLE retires the shared channel, so the
 * next dial starts a fresh one instead of waiting out gRPC's reconnect backoff after a peer restarts.
 * @module
 */
import { Code, isStatusError } from '../chain/errors.js';
import type { Dialer, PeerConnection } from '../chain/peer.js';
import { dial, type DialOptions, type NsmConnection } from './client.js';
import { sharedMonitor, type SharedMonitor } from './shared-monitor.js';
import {
  monitorConnectionClient,
  networkServiceClient,
  nseRegistryClient,
  nsRegistryClient,
} from './clients.js';
import { watchMonitor, watchRegistry, watchUnary } from './watch-errors.js';

export interface GrpcDialerOptions extends DialOptions {
  /** Share one channel per URL between connections. Default: true. */
  readonly share?: boolean;
  /** How long a shared channel nobody uses stays open for the next dial. Default: 10000. */
  readonly idleMs?: number;
  /**
   * Follow connections through one MonitorConnections stream per channel and segment name instead of one per
   * connection (`shared-monitor.ts`). Default: true.
   */
  readonly shareMonitorStreams?: boolean;
  /**
   * How long a shared monitor stream nobody follows stays open once its channel is unused: an open stream
   * keeps the process alive, which an idle channel does not. Default: 1000.
   */
  readonly monitorLingerMs?: number;
}

interface Channel {
  readonly conn: NsmConnection;
  refs: number;
  retired: boolean;
  idle: NodeJS.Timeout | undefined;
  /** Ends the shared monitor streams nobody follows, `monitorLingerMs` after the channel's last user left. */
  linger: NodeJS.Timeout | undefined;
  /** The four clients, made once per channel and shared by every PeerConnection on it. */
  handlers: Omit<PeerConnection, 'url' | 'close'> | undefined;
  monitor: SharedMonitor | undefined;
}

/** Fast reconnects: NSM components restart, and heal should not wait for gRPC's default backoff (1 s, x1.6). */
const channelDefaults = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
};

/**
 * A gRPC Dialer, plus `closeAll()` to close every channel it holds (idle ones included) at shutdown and
 * `closeIdle()` to close now the channels nobody uses (and the monitor streams they keep open).
 */
export type GrpcDialer = Dialer & { closeAll(): void; closeIdle(): void };

/** A Dialer over gRPC with `options` (credentials, channel options) for every connection it makes. */
export function grpcDialer(options: GrpcDialerOptions = {}): GrpcDialer {
  const channels = new Map<string, Channel>();
  const dialOptions: DialOptions = {
    ...options,
    channelOptions: { ...channelDefaults, ...options.channelOptions },
  };
  const idleMs = options.idleMs ?? 10_000;
  const lingerMs = options.monitorLingerMs ?? 1000;
  const retire = (url: string, channel: Channel): void => {
    if (channels.get(url) === channel) channels.delete(url);
    channel.retired = true;
    clearTimeout(channel.idle);
    clearTimeout(channel.linger);
    channel.monitor?.close();
    if (channel.refs === 0) channel.conn.close();
  };
  const release = (url: string, channel: Channel): void => {
    channel.refs--;
    if (channel.refs > 0) return;
    if (channel.retired || options.share === false) {
      channel.monitor?.close();
      channel.conn.close();
      return;
    }
    // Unref'd: an idle channel never keeps the process alive (nor, after monitorLingerMs, its streams).
    channel.idle = setTimeout(() => retire(url, channel), idleMs);
    channel.idle.unref();
    if (channel.monitor === undefined) return;
    const monitor = channel.monitor;
    channel.linger = setTimeout(() => monitor.closeIdleStreams(), lingerMs);
    channel.linger.unref();
  };
  const acquire = (url: string): Channel => {
    const shared = options.share === false ? undefined : channels.get(url);
    if (shared !== undefined) {
      clearTimeout(shared.idle);
      clearTimeout(shared.linger);
      shared.refs++;
      return shared;
    }
    const conn = dial(url, dialOptions);
    const channel: Channel = {
      conn,
      refs: 1,
      retired: false,
      idle: undefined,
      linger: undefined,
      handlers: undefined,
      monitor: undefined,
    };
    if (options.share !== false) channels.set(url, channel);
    return channel;
  };
  /** A peer holds only its URL and `close`: a Request's dial costs no new closures beyond those. */
  const handlersOf = (url: string, channel: Channel): NonNullable<Channel['handlers']> => {
    if (channel.handlers !== undefined) return channel.handlers;
    const onError = (error: unknown): void => {
      if (isStatusError(error) && error.code === Code.UNAVAILABLE) retire(url, channel);
    };
    const monitor = watchMonitor(monitorConnectionClient(channel.conn), onError);
    if (options.shareMonitorStreams !== false) channel.monitor = sharedMonitor(monitor);
    channel.handlers = {
      networkService: watchUnary(networkServiceClient(channel.conn), onError),
      monitorConnection: channel.monitor ?? monitor,
      nsRegistry: watchRegistry(nsRegistryClient(channel.conn), onError),
      nseRegistry: watchRegistry(nseRegistryClient(channel.conn), onError),
    };
    return channel.handlers;
  };
  const open = (url: string): PeerConnection => {
    const channel = acquire(url);
    let closed = false;
    return {
      url,
      ...handlersOf(url, channel),
      close() {
        if (closed) return;
        closed = true;
        release(url, channel);
      },
    };
  };
  const closeAll = (): void => {
    for (const [url, channel] of [...channels]) retire(url, channel);
  };
  const closeIdle = (): void => {
    for (const [url, channel] of [...channels]) if (channel.refs === 0) retire(url, channel);
  };
  return Object.assign(open, { closeAll, closeIdle });
}
