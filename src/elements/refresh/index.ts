/**
 * `refresh`: the client re-requests its connection before the path's tokens expire (NSM `common/refresh`).
 * @module
 */
export { refreshClient, type RefreshClientOptions } from './refresh.js';
