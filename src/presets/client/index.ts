/**
 * The client preset: NSM's client chain.
 * @module
 */
export { client, clientElements, type ClientOptions } from './client.js';
