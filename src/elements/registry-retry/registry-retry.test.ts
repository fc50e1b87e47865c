import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { concat, lastValueFrom, of, throwError, toArray, type Observable } from 'rxjs';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointQuery,
  type NetworkServiceEndpointResponse,
} from '../../api/gen/registry.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import {
  nseRegistryHandler,
  nseRegistryTail,
  nsRegistryHandler,
  nsRegistryTail,
} from '../../chain/registry.js';
import { manualClock, type ManualClock } from '../../testing/index.js';
import { retryNsClient, retryNseClient } from './index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
const nse = (name: string): NetworkServiceEndpoint => NetworkServiceEndpoint.fromPartial({ name });
const query: NetworkServiceEndpointQuery = { networkServiceEndpoint: undefined, watch: false };

/** Advances `clock` in `stepMs` steps, flushing between, until `promise` settles. */
async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 100): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined);
  for (let i = 0; i < 1000 && !settled; i++) {
    await flush();
    if (!settled) clock.advance(stepMs);
  }
  return watched;
}

const calls = suite('registry-retry: Register and Unregister');

calls('failed tries are repeated after the interval, each with a fresh copy of the input', async () => {
  const clock = manualClock();
  const seen: string[] = [];
  let failures = 2;
  const handler = nseRegistryHandler([retryNseClient()], {
    ...nseRegistryTail,
    register: async (entry) => {
      seen.push(`${entry.name}@${clock.now() - Date.UTC(2026, 0, 1)}`);
      entry.name = 'mutated';
      if (failures-- > 0) throw new Error('unavailable');
      return entry;
    },
  });
  await drive(clock, handler.register(nse('a'), withClock(CallContext.background(), clock)));
  assert.equal(seen, ['a@0', 'a@200', 'a@400']);
});

calls('a try that hangs is cut at the per-try timeout and tried again', async () => {
  const clock = manualClock();
  let tries = 0;
  const handler = nseRegistryHandler([retryNseClient({ tryTimeoutMs: 1000, intervalMs: 100 })], {
    ...nseRegistryTail,
    register: (entry, ctx) => {
      if (++tries > 1) return Promise.resolve(entry);
      return new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    },
  });
  await drive(clock, handler.register(nse('a'), withClock(CallContext.background(), clock)));
  assert.is(tries, 2);
  assert.is(clock.pendingTimers, 0);
});

calls('when the caller aborts, its reason comes out untouched', async () => {
  const clock = manualClock();
  const handler = nseRegistryHandler([retryNseClient()], {
    ...nseRegistryTail,
    unregister: () => Promise.reject(new Error('unavailable')),
  });
  const scope = withCancel(withClock(CallContext.background(), clock), 1000, clock);
  const error = await drive(clock, handler.unregister(nse('a'), scope.ctx)).catch((e: unknown) => e);
  assert.instance(error, DOMException);
  assert.is((error as DOMException).name, 'TimeoutError');
  scope.cancel();
  assert.is(clock.pendingTimers, 0);
});

calls('chainSignal stops the retries with the last error; bad options throw ConfigError', async () => {
  const clock = manualClock();
  const chain = new AbortController();
  const handler = nseRegistryHandler([retryNseClient({ chainSignal: chain.signal })], {
    ...nseRegistryTail,
    register: () => Promise.reject(new Error('still down')),
  });
  const pending = handler
    .register(nse('a'), withClock(CallContext.background(), clock))
    .catch((e: unknown) => e);
  await flush();
  chain.abort();
  assert.is(((await pending) as Error).message, 'still down');
  assert.throws(
    () => retryNseClient({ tryTimeoutMs: 0 }),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => retryNsClient({ intervalMs: -1 }),
    (e: unknown) => e instanceof ConfigError,
  );
});

calls('the NS twin retries too', async () => {
  const clock = manualClock();
  let failures = 1;
  const handler = nsRegistryHandler([retryNsClient()], {
    ...nsRegistryTail,
    register: async (ns) => {
      if (failures-- > 0) throw new Error('unavailable');
      return ns;
    },
  });
  const ns = await drive(
    clock,
    handler.register(NetworkService.fromPartial({ name: 'svc' }), withClock(CallContext.background(), clock)),
  );
  assert.is(ns.name, 'svc');
});

calls.run();

const finds = suite('registry-retry: Find');

const response = (name: string): NetworkServiceEndpointResponse => ({
  networkServiceEndpoint: nse(name),
  deleted: false,
});

finds('a stream that fails before its first response is opened again', async () => {
  const clock = manualClock();
  let opens = 0;
  const handler = nseRegistryHandler([retryNseClient()], {
    ...nseRegistryTail,
    find: (): Observable<NetworkServiceEndpointResponse> => {
      opens++;
      if (opens === 1) throw new Error('cannot open');
      if (opens === 2) return throwError(() => new Error('refused'));
      return of(response('a'));
    },
  });
  const found = drive(
    clock,
    lastValueFrom(handler.find(query, withClock(CallContext.background(), clock)).pipe(toArray())),
  );
  assert.equal(
    (await found).map((r) => r.networkServiceEndpoint?.name),
    ['a'],
  );
  assert.is(opens, 3);
});

finds('an error after the first response passes through', async () => {
  let opens = 0;
  const handler = nseRegistryHandler([retryNseClient()], {
    ...nseRegistryTail,
    find: () => {
      opens++;
      return concat(
        of(response('a')),
        throwError(() => new Error('broken')),
      );
    },
  });
  const error = await lastValueFrom(handler.find(query, CallContext.background())).catch((e: unknown) => e);
  assert.is((error as Error).message, 'broken');
  assert.is(opens, 1);
});

finds('an aborted caller stops the retries', async () => {
  const clock = manualClock();
  let opens = 0;
  const handler = nseRegistryHandler([retryNseClient()], {
    ...nseRegistryTail,
    find: () => {
      opens++;
      return throwError(() => new Error('refused'));
    },
  });
  const scope = withCancel(withClock(CallContext.background(), clock));
  let done = false;
  handler.find(query, scope.ctx).subscribe({ complete: () => (done = true), error: () => (done = true) });
  scope.cancel();
  clock.advance(1000);
  assert.ok(done);
  assert.is(opens, 1);
  assert.is(clock.pendingTimers, 0);
});

finds.run();
