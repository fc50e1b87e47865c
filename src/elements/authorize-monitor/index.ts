/**
 * `authorize-monitor`: policy checks before a MonitorConnections stream opens.
 * @module
 */
export {
  authorizeMonitor,
  ownsConnectionPolicy,
  type AuthorizeMonitorOptions,
  type MonitorPolicy,
  type MonitorPolicyInput,
} from './authorize-monitor.js';
