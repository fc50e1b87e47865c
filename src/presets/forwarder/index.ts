/**
 * The forwarder preset.
 * @module
 */
export { forwarder, type Forwarder, type ForwarderOptions } from './forwarder.js';
