/**
 * `client-url`: puts the next hop's URL in the context (NSM `common/clienturl`).
 * @module
 */
export { clientUrl } from './client-url.js';
