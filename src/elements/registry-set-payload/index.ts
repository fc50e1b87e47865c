/**
 * Registry `setpayload`: a default payload for network services registered without one (NSM
 * `registry/common/setpayload`).
 * @module
 */
export { setPayloadNs, type SetPayloadNsOptions } from './set-payload.js';
