import { Path } from '../../api/gen/connection.js';
import { postpone } from '../../chain/cancel.js';
import { loggerOf } from '../../chain/logger.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { checkPolicies, validPolicies, type AuthorizePolicy } from './policy.js';

export interface AuthorizeClientOptions {
  /** Policies checked, in order, on the path the next hop returns and on Close. Default: none. */
  readonly policies?: readonly AuthorizePolicy[];
}

/** Set in the client half once a Request passed the policies: later Requests are refreshes. */
const establishedKey = metadataKey<true>('authorize/established');

export function authorizeClientElement(options: AuthorizeClientOptions): NetworkServiceElement {
  const policies = validPolicies(options.policies, 'authorizeClient');
  return {
    name: 'authorize',
    async request(request, ctx, next) {
      const client = metadataOf(ctx, 'client');
      const cleanup = postpone(ctx);
      const conn = await next.request(request, ctx);
      try {
        await checkPolicies(policies, { path: conn.path ?? Path.create(), connectionId: conn.id }, ctx);
      } catch (error) {
        // A refused new connection is closed downstream; a refused refresh leaves the old one to its owner.
        if (client.get(establishedKey) !== true) {
          const { ctx: closeCtx, cancel } = cleanup();
          try {
            await next.close(conn, closeCtx);
          } catch (closeError) {
            loggerOf(ctx).log('warn', 'authorize: closing a refused connection failed', {
              error: closeError,
            });
          } finally {
            cancel();
          }
        }
        throw error;
      }
      client.set(establishedKey, true);
      return conn;
    },
    async close(conn, ctx, next) {
      metadataOf(ctx, 'client').delete(establishedKey);
      await checkPolicies(policies, { path: conn.path ?? Path.create(), connectionId: conn.id }, ctx);
      return next.close(conn, ctx);
    },
  };
}
