/**
 * `upstreamrefresh`: re-request a connection when the next hop asks for it with REFRESH_REQUESTED (NSM
 * `common/upstreamrefresh`).
 * @module
 */
export {
  localNotifierOf,
  upstreamRefreshClient,
  type UpstreamRefreshClientOptions,
} from './upstream-refresh-client.js';
export type { LocalNotifier } from './notifier.js';
