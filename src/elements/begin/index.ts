/**
 * `begin`: per-connection serialization and the event factory (NSM `common/begin`).
 * @module
 */
export { beginServer } from './begin-server.js';
export { beginClient, type BeginClientOptions } from './begin-client.js';
export {
  defaultReselect,
  eventFactoryOf,
  reselectSameEndpoint,
  type EventFactory,
  type EventOptions,
  type EventOutcome,
  type ReselectFunc,
} from './event-factory.js';
