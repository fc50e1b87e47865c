/**
 * `timeout`: server-side expiry of connections whose client stopped refreshing (NSM `common/timeout`).
 * @module
 */
export { timeoutServer, type TimeoutServerOptions } from './timeout.js';
