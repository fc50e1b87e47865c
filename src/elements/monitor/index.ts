/**
 * `monitor`: the endpoint's MonitorConnection service and passthrough of next-hop events (NSM
 * `common/monitor`), plus the selector matching and next-hop filter that `heal` and `upstreamrefresh` share.
 * @module
 */
export {
  eventConsumerOf,
  monitorServer,
  type EventConsumer,
  type MonitorServerElement,
  type MonitorServerOptions,
} from './monitor-server.js';
export { filterConnections, matchesMonitorScopeSelector, type ConnectionsById } from './selector.js';
export { followConnection, nextHopSelector, type FollowOptions } from './follow.js';
