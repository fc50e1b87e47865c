/**
 * The sandbox: an in-process NSM domain over real gRPC, for control-plane tests (yours too).
 * @module
 */
export { createSandbox, Domain, type SandboxOptions } from './domain.js';
export {
  SandboxNode,
  type EndpointSpec,
  type ForwarderSpec,
  type SandboxClient,
  type SandboxClientOptions,
  type SandboxEndpoint,
  type SandboxForwarder,
} from './node.js';
export { recordingDataPlane, type DataPlaneRecord, type RecordingDataPlane } from './recording-data-plane.js';
export {
  RestartableServer,
  type ServerFactory,
  type ServerInspect,
  type ServerInstance,
} from './restartable.js';
export { AddressBook, freePort, type Transport } from './addresses.js';
