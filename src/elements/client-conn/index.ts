/**
 * `client-conn`: a static connection to the next hop in the connection's metadata (NSM `common/clientconn`).
 * @module
 */
export { clientConn } from './client-conn.js';
