/**
 * The config specs of the `nsm` subcommands (data only, so `--help` loads no chains).
 * @module
 */
export { forwarderSpec } from './forwarder.js';
export { nscSpec } from './nsc.js';
export { nseIcmpResponderSpec } from './nse-icmp-responder.js';
export { nsmgrSpec } from './nsmgr.js';
export { registrySpec } from './registry.js';
