/**
 * Server-side expiry of NSE registrations (Go `registry/common/expire`): lowers the expiration time a
 * registration asks for to what this hop allows, and unregisters it through `begin` when that time comes
 * without a refresh.
 */
import { msFromTimestamp, timestampFromMs } from '../../api/timestamp.js';
import { clockOf, type Timer } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { NseRegistryElement } from '../../chain/registry.js';
import { nseEventFactoryOf } from '../registry-begin/index.js';
import { ownTokenExpiryOf, peerTokenOf } from '../registry-update-path/index.js';

interface Expiry {
  readonly timer: Timer;
  /** Aborted when the expiry is replaced or cancelled, so a queued Unregister event is skipped. */
  readonly controller: AbortController;
}

/** @internal */
export interface ExpireSettings {
  readonly defaultExpirationMs: number;
  readonly chainSignal: AbortSignal | undefined;
}

/** The earliest of this hop's token expiry, the caller's token expiry and now + the default, if any. */
function allowedExpiry(ctx: CallContext, defaultExpirationMs: number, now: number): number | undefined {
  const candidates = [ownTokenExpiryOf(ctx), peerTokenOf(ctx)?.expiresAt];
  if (defaultExpirationMs > 0) candidates.push(now + defaultExpirationMs);
  const known = candidates.filter((at): at is number => at !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

/** @internal */
export function expire(settings: ExpireSettings): NseRegistryElement & { readonly size: number } {
  const expiries = new Map<string, Expiry>();
  const cancel = (name: string): void => {
    const expiry = expiries.get(name);
    if (expiry === undefined) return;
    expiries.delete(name);
    expiry.timer.cancel();
    expiry.controller.abort();
  };
  settings.chainSignal?.addEventListener('abort', () => [...expiries.keys()].forEach(cancel), { once: true });

  return {
    name: 'registry-expire',
    get size() {
      return expiries.size;
    },
    async register(nse, ctx, next) {
      const factory = nseEventFactoryOf(ctx);
      if (factory === undefined) {
        throw new StatusError(Code.INTERNAL, 'registry-expire: no registry begin before this element', {
          reason: 'REGISTRY_EXPIRE_NO_BEGIN',
        });
      }
      const clock = clockOf(ctx);
      const now = clock.now();
      const requestTimeoutMs = ctx.remainingMs(now) ?? 0;
      let expiresAt = allowedExpiry(ctx, settings.defaultExpirationMs, now);
      const asked = nse.expirationTime === undefined ? undefined : msFromTimestamp(nse.expirationTime);
      const sent =
        expiresAt !== undefined && (asked === undefined || expiresAt < asked)
          ? { ...nse, expirationTime: timestampFromMs(expiresAt) }
          : nse;
      const response = await next.register(sent, ctx);
      const answered =
        response.expirationTime === undefined ? undefined : msFromTimestamp(response.expirationTime);
      if (answered !== undefined && (expiresAt === undefined || answered < expiresAt)) expiresAt = answered;

      cancel(nse.name);
      if (expiresAt === undefined || settings.chainSignal?.aborted) return response;
      const controller = new AbortController();
      const name = nse.name;
      const timer = clock.setTimeout(
        () => {
          loggerOf(ctx).log('info', 'registry-expire: registration expired', { name });
          void factory.unregister({ cancelSignal: controller.signal });
        },
        expiresAt - now - requestTimeoutMs,
      );
      expiries.set(name, { timer, controller });
      return response;
    },
    async unregister(nse, ctx, next) {
      cancel(nse.name);
      return next.unregister(nse, ctx);
    },
  };
}
