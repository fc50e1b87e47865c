/**
 * `dial`: connects to the next hop named by the URL in the context (NSM `common/dial`).
 * @module
 */
export { dial, type DialOptions } from './dial.js';
