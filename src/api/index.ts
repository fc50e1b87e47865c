/**
 * The gRPC edge: serve chain handlers, dial peers, typed clients, health checks, NSM URLs, and the status
 * mapping. The only part of the SDK that touches grpc-js. Message types come from `@nsm-ts/sdk/api/gen/*`.
 * @module
 */
export { dial, NsmConnection, type DialOptions, type MethodDefinition } from './client.js';
export {
  monitorConnectionClient,
  networkServiceClient,
  nseRegistryClient,
  nsRegistryClient,
} from './clients.js';
export { cloneMessage, protoEqual } from './clone.js';
export { checkHealth, type ServingStatus } from './health.js';
export { grpcDialer, type GrpcDialer, type GrpcDialerOptions } from './peer.js';
export { sharedMonitor, type SharedMonitor } from './shared-monitor.js';
export { serve, type NsmServer, type NsmServices, type ServeOptions } from './server.js';
export { fromServiceError, reasonTrailer, toStatus } from './status.js';
export { msFromTimestamp, parseRfc3339, rfc3339Nano, timestampFromMs } from './timestamp.js';
export { formatNsmUrl, grpcTarget, parseNsmUrl, type NsmAddress } from './url.js';
