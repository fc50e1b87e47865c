/**
 * The gRPC `Dialer`: one channel per dial, with typed clients for each NSM service on it.
 * @module
 */
import type { Dialer, PeerConnection } from '../chain/peer.js';
import { dial, type DialOptions } from './client.js';
import {
  monitorConnectionClient,
  networkServiceClient,
  nseRegistryClient,
  nsRegistryClient,
} from './clients.js';

/** A Dialer over gRPC with `options` (credentials, channel options) for every connection it makes. */
export function grpcDialer(options: DialOptions = {}): Dialer {
  return (url: string): PeerConnection => {
    const conn = dial(url, options);
    let closed = false;
    return {
      url,
      networkService: networkServiceClient(conn),
      monitorConnection: monitorConnectionClient(conn),
      nsRegistry: nsRegistryClient(conn),
      nseRegistry: nseRegistryClient(conn),
      close() {
        if (closed) return;
        closed = true;
        conn.close();
      },
    };
  };
}
