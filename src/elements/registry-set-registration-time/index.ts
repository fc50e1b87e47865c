/**
 * Registry `setregistrationtime`: stamps an NSE's first registration time and keeps it across refreshes (NSM
 * `registry/common/setregistrationtime`).
 * @module
 */
export { setRegistrationTimeNse, type SetRegistrationTimeNseElement } from './set-registration-time.js';
