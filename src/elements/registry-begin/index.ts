/**
 * Registry `begin`: per-name serialization and the registration event factory (NSM `registry/common/begin`).
 * @module
 */
import type { CallContext } from '../../chain/context.js';
import { nsEventFactoryKey, nseEventFactoryKey, type RegistryEventFactory } from './registration-events.js';

export { beginNsClient, beginNseClient, beginNseServer, beginNsServer } from './registry-begin.js';
export type { RegistryEventFactory, RegistryEventOptions } from './registration-events.js';

/** The NSE registration event factory in `ctx`, or undefined outside a registry `begin`. */
export const nseEventFactoryOf = (ctx: CallContext): RegistryEventFactory | undefined =>
  ctx.value(nseEventFactoryKey);

/** The NS registration event factory in `ctx`, or undefined outside a registry `begin`. */
export const nsEventFactoryOf = (ctx: CallContext): RegistryEventFactory | undefined =>
  ctx.value(nsEventFactoryKey);
