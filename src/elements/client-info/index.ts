/**
 * `client-info`: node, pod and cluster name labels from the environment (NSM `common/clientinfo` and
 * `registry/common/clientinfo`).
 * @module
 */
export { clientInfo, clientInfoNseRegistry, type ClientInfoOptions } from './client-info.js';
