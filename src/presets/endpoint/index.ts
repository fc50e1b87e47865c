/**
 * The endpoint preset: NSM's common server chain.
 * @module
 */
export { endpoint, type Endpoint, type EndpointOptions } from './endpoint.js';
