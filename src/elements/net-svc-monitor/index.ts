/**
 * `net-svc-monitor`: closes connections whose network service no longer selects their endpoint (NSM
 * `common/netsvcmonitor`).
 * @module
 */
export { netSvcMonitorServer, type NetSvcMonitorServerOptions } from './net-svc-monitor.js';
