/**
 * `retry`: retries a whole client's Request and Close until the caller's context ends (NSM `common/retry`).
 * @module
 */
export { retryClient, type RetryClientOptions } from './retry.js';
