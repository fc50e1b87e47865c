/**
 * Registry `refresh`: an NSE registration client re-registers before its registration expires (NSM
 * `registry/common/refresh`).
 * @module
 */
export { refreshNseClient, type RefreshNseClientOptions } from './refresh.js';
