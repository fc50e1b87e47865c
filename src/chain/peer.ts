/**
 * A connection to the next hop, as elements see it: the four NSM APIs as chain handlers plus `close()`. The
 * `dial` element makes them with a `Dialer` (gRPC by default, see `grpcDialer` in `api/peer.ts`), so elements
 * never touch grpc-js and tests can dial in-memory peers.
 * @module
 */
import { metadataKey, type MetadataKey } from './metadata.js';
import type { MonitorHandler } from './monitor.js';
import type { NetworkServiceHandler } from './network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from './registry.js';

export interface PeerConnection {
  /** The URL this connection was dialed to. */
  readonly url: string;
  readonly networkService: NetworkServiceHandler;
  readonly monitorConnection: MonitorHandler;
  readonly nsRegistry: NsRegistryHandler;
  readonly nseRegistry: NseRegistryHandler;
  /** Closes the channel; later calls fail with UNAVAILABLE or CANCELLED. Idempotent. */
  close(): void;
}

/** Opens a connection to `url` (lazily: the first call connects). Throws a StatusError for a bad URL. */
export type Dialer = (url: string) => PeerConnection;

/**
 * Where `dial` (or `clientconn`) keeps the connection to the next hop: the client half of the connection's
 * metadata. `connect`, `heal`, `monitor` passthrough and `upstreamrefresh` read it from there.
 */
export const clientConnectionKey: MetadataKey<PeerConnection> = metadataKey('clientconn');
