/**
 * `match-utils`: label matching with Go text/template selectors, and registry query matching
 * (NSM `tools/matchutils`). A helper module, not a chain element.
 * @module
 */
export {
  isSubset,
  matchEndpoint,
  matchForwarders,
  matchNetworkServiceEndpoints,
  matchNetworkServices,
  type Labels,
} from './match.js';
export { renderTemplate } from './template.js';
export { readNetworkServiceEndpointList, readNetworkServiceList } from './read-list.js';
