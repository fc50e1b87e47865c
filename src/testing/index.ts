/**
 * Test helpers: elements that inject errors, check and count calls, and a manual clock.
 * @module
 */
export { acrossTheWire, inMemoryPeer, type InMemoryPeer } from './in-memory-peer.js';
export { manualClock, type ManualClock } from './manual-clock.js';
export {
  checkContext,
  checkRequest,
  checkResponse,
  count,
  injectError,
  withContext,
  type Counter,
  type InjectErrorOptions,
} from './elements.js';
