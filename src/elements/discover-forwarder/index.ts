/**
 * `discover-forwarder`: chooses the local forwarder for a connection (NSM `common/discoverforwarder`).
 * @module
 */
export { discoverForwarderServer, type DiscoverForwarderServerOptions } from './discover-forwarder.js';
