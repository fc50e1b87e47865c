/**
 * Test helpers: elements that inject errors, check and count calls, and a manual clock.
 * @module
 */
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
