/**
 * The chain core: contexts, cancellation, clocks, errors, logging, per-connection metadata, and the element and
 * chain types for the NetworkService, MonitorConnection and registry APIs. Elements live under
 * `@nsm-ts/sdk/elements/<name>`, the gRPC edge under `@nsm-ts/sdk/api`, test helpers under `@nsm-ts/sdk/testing`.
 * @module
 */
export * from './chain/call-metadata.js';
export * from './chain/cancel.js';
export * from './chain/client-url.js';
export * from './chain/clock.js';
export * from './chain/compose.js';
export * from './chain/context.js';
export * from './chain/errors.js';
export * from './chain/logger.js';
export * from './chain/metadata.js';
export * from './chain/monitor.js';
export * from './chain/network-service.js';
export * from './chain/peer.js';
export * from './chain/registry.js';
export * from './chain/serial-executor.js';
export * from './chain/token.js';
export * from './chain/trace.js';
