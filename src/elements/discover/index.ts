/**
 * `discover`: finds the endpoint, or the candidate endpoints, for a Request (NSM `common/discover`).
 * @module
 */
export { discoverServer, type DiscoverServerOptions } from './discover.js';
export { candidatesOf, withCandidates, type Candidates } from './candidates.js';
export { closeTarget } from './target.js';
