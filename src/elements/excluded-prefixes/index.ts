/**
 * `excluded-prefixes`: keeps configured and already used prefixes out of IPAM (NSM `common/excludedprefixes`).
 * @module
 */
export {
  DEFAULT_EXCLUDED_PREFIXES_FILE,
  excludedPrefixesServer,
  type ExcludedPrefixesServerOptions,
} from './server.js';
export { excludedPrefixesClient, type ExcludedPrefixesClientOptions } from './client.js';
