/**
 * `connect`: the call to the next hop at the end of a client chain, and the server→client bridge (NSM
 * `common/connect`).
 * @module
 */
export { connectClient } from './connect-client.js';
export { connectServer } from './connect-server.js';
