/**
 * The forwarder preset.
 * @module
 */
export { forwarder, type ForwarderOptions } from './forwarder.js';
