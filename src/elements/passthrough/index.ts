/**
 * `passthrough`: the client side of an endpoint that is also a client of the next hop (NSM
 * `common/passthrough`, `replacelabels` and `replacensename`).
 * @module
 */
export { passthroughClient } from './passthrough.js';
export { replaceLabelsClient } from './replace-labels.js';
export { replaceNseNameClient } from './replace-nse-name.js';
