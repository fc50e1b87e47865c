import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, throwError, toArray } from 'rxjs';
import { NetworkServiceEndpoint, type NetworkServiceEndpointQuery } from '../../api/gen/registry.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { nseRegistryHandler, type NseRegistryElement } from '../../chain/registry.js';
import { manualClock } from '../../testing/index.js';
import { memoryNseRegistry } from '../registry-memory/index.js';
import { queryCacheNse } from './index.js';

const url1 = 'tcp://1.1.1.1:5000';
const url2 = 'tcp://2.2.2.2:5000';
const minute = 60_000;
const nse = (name: string, url = url1): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, url });
const byName = (name: string, extra: Partial<NetworkServiceEndpoint> = {}): NetworkServiceEndpointQuery => ({
  networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ name, ...extra }),
  watch: false,
});

/** Fails every non-watch Find while `failing` is set, so only the cache can answer. */
function failure(): NseRegistryElement & { failing: boolean } {
  const self = {
    name: 'failure',
    failing: false,
    find: (
      query: NetworkServiceEndpointQuery,
      ctx: CallContext,
      next: Parameters<NonNullable<NseRegistryElement['find']>>[2],
    ) => (self.failing && !query.watch ? throwError(() => new Error('find error')) : next.find(query, ctx)),
  };
  return self;
}

function setup(chainSignal?: AbortSignal) {
  const clock = manualClock();
  const memory = memoryNseRegistry();
  const store = nseRegistryHandler([memory]);
  const fail = failure();
  const cache = queryCacheNse(
    chainSignal === undefined ? { expireTimeoutMs: minute } : { expireTimeoutMs: minute, chainSignal },
  );
  const client = nseRegistryHandler([cache, fail, memory]);
  const ctx = (): CallContext => withClock(CallContext.background(), clock);
  const urlOf = async (query: NetworkServiceEndpointQuery): Promise<string | undefined> => {
    const found = await lastValueFrom(client.find(query, ctx()).pipe(toArray()));
    return found[0]?.networkServiceEndpoint?.url;
  };
  return { clock, memory, store, fail, cache, client, ctx, urlOf };
}

const caching = suite('registry-query-cache');

caching('found NSEs are cached by name, kept current by a watch, and evicted when deleted', async () => {
  const s = setup();
  const registered = await s.store.register(nse('nse'), s.ctx());
  assert.is(await s.urlOf(byName('')), url1);
  assert.is(s.cache.size, 1);
  s.fail.failing = true;
  assert.is(await s.urlOf(byName('nse')), url1);
  await s.store.register({ ...registered, url: url2 }, s.ctx());
  assert.is(await s.urlOf(byName('nse')), url2);
  await s.store.unregister(registered, s.ctx());
  assert.is(s.cache.size, 0);
  assert.is(s.memory.watchers, 0, 'the background watch ended');
  await s.urlOf(byName('nse')).then(
    () => assert.unreachable('should miss the cache'),
    (error: unknown) => assert.is((error as Error).message, 'find error'),
  );
});

caching(
  'entries read in time live on; unread ones are evicted at the next lookup, with no timer',
  async () => {
    const s = setup();
    await s.store.register(nse('nse'), s.ctx());
    await s.store.register(nse('other'), s.ctx());
    await s.urlOf(byName(''));
    s.fail.failing = true;
    for (let elapsed = 0; elapsed < 2 * minute; elapsed += minute / 3) {
      assert.is(await s.urlOf(byName('nse')), url1);
      s.clock.advance(minute / 3);
    }
    assert.is(s.cache.size, 1, "'other' went unread for more than the timeout");
    assert.is(s.memory.watchers, 1);
    s.clock.advance(2 * minute);
    await s.urlOf(byName('nse')).then(
      () => assert.unreachable('should miss the cache'),
      () => undefined,
    );
    assert.is(s.cache.size, 0);
    assert.is(s.memory.watchers, 0);
    assert.is(s.clock.pendingTimers, 0, 'the cache never holds a timer');
  },
);

caching('a cached registration past its expiration time is not served: the registry is asked', async () => {
  const s = setup();
  const expiresAt = s.clock.now() + 10_000;
  const expirationTime = { seconds: Math.floor(expiresAt / 1000), nanos: (expiresAt % 1000) * 1e6 };
  await s.store.register(
    NetworkServiceEndpoint.fromPartial({ name: 'nse', url: url1, expirationTime }),
    s.ctx(),
  );
  await s.urlOf(byName('nse'));
  s.fail.failing = true;
  assert.is(await s.urlOf(byName('nse')), url1);
  s.clock.advance(10_000);
  await s.urlOf(byName('nse')).then(
    () => assert.unreachable('an expired entry must miss'),
    (error: unknown) => assert.is((error as Error).message, 'find error'),
  );
  assert.is(s.memory.watchers, 0, 'its watch ended with it');
});

caching('only name-only queries hit the cache; watch Finds pass through', async () => {
  const s = setup();
  await s.store.register(nse('nse'), s.ctx());
  await s.urlOf(byName('nse'));
  s.fail.failing = true;
  await s.urlOf(byName('nse', { url: '1.1.1.1' })).then(
    () => assert.unreachable('a narrower query must not be answered from the cache'),
    () => undefined,
  );
  const seen: string[] = [];
  const watch = s.client
    .find({ ...byName('nse'), watch: true }, s.ctx())
    .subscribe((r) => seen.push(r.networkServiceEndpoint?.name ?? '?'));
  assert.equal(seen, ['nse']);
  watch.unsubscribe();
});

caching('chainSignal drops the cache and ends every watch; bad options throw ConfigError', async () => {
  const chain = new AbortController();
  const s = setup(chain.signal);
  await s.store.register(nse('a'), s.ctx());
  await s.store.register(nse('b'), s.ctx());
  await s.urlOf(byName(''));
  assert.is(s.cache.size, 2);
  assert.is(s.memory.watchers, 2);
  chain.abort();
  assert.is(s.cache.size, 0);
  assert.is(s.memory.watchers, 0);
  assert.is(s.clock.pendingTimers, 0);
  assert.throws(
    () => queryCacheNse({ expireTimeoutMs: 0 }),
    (e: unknown) => e instanceof ConfigError,
  );
});

caching.run();
