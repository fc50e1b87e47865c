import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, throwError, toArray, type Observable } from 'rxjs';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointQuery,
  type NetworkServiceQuery,
} from '../../api/gen/registry.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { nseRegistryHandler, nsRegistryHandler } from '../../chain/registry.js';
import { manualClock } from '../../testing/index.js';
import { memoryNseRegistry, memoryNsRegistry } from '../registry-memory/index.js';
import { queryCacheNs, queryCacheNse } from './index.js';

const url1 = 'tcp://1.1.1.1:5000';
const url2 = 'tcp://2.2.2.2:5000';
const minute = 60_000;
const nse = (name: string, url = url1, extra: Partial<NetworkServiceEndpoint> = {}): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, url, networkServiceNames: ['svc'], ...extra });
const query = (template: Partial<NetworkServiceEndpoint>): NetworkServiceEndpointQuery => ({
  networkServiceEndpoint: NetworkServiceEndpoint.fromPartial(template),
  watch: false,
});
const byService = query({ networkServiceNames: ['svc'] });

/** Fails every non-watch Find while `failing` is set (so only the cache can answer) and counts the others. */
function gate<TQuery extends { watch: boolean }, TResponse>() {
  const self = {
    name: 'gate',
    failing: false,
    finds: 0,
    find: (
      q: TQuery,
      ctx: CallContext,
      next: { find(q: TQuery, ctx: CallContext): Observable<TResponse> },
    ): Observable<TResponse> => {
      if (q.watch) return next.find(q, ctx);
      self.finds++;
      return self.failing ? throwError(() => new Error('find error')) : next.find(q, ctx);
    },
  };
  return self;
}

function setup(chainSignal?: AbortSignal) {
  const clock = manualClock();
  const memory = memoryNseRegistry();
  const store = nseRegistryHandler([memory]);
  const fail = gate<NetworkServiceEndpointQuery, never>();
  const cache = queryCacheNse({
    expireTimeoutMs: minute,
    ...(chainSignal === undefined ? {} : { chainSignal }),
  });
  const client = nseRegistryHandler([cache, fail as never, memory]);
  const ctx = (): CallContext => withClock(CallContext.background(), clock);
  const urls = async (q: NetworkServiceEndpointQuery): Promise<string[]> => {
    const found = await lastValueFrom(client.find(q, ctx()).pipe(toArray()));
    return found.map((r) => r.networkServiceEndpoint?.url ?? '?').sort();
  };
  return { clock, memory, store, fail, cache, client, ctx, urls };
}

const caching = suite('registry-query-cache: NSE');

caching('a repeated query is answered from the cache, which its watch keeps current', async () => {
  const s = setup();
  const first = await s.store.register(nse('a'), s.ctx());
  assert.equal(await s.urls(byService), [url1]);
  s.fail.failing = true;
  assert.equal(await s.urls(byService), [url1], 'from the cache');
  await s.store.register({ ...first, url: url2 }, s.ctx());
  assert.equal(await s.urls(byService), [url2], 'an update replaced it');
  await s.store.register(nse('b', url1), s.ctx());
  assert.equal(await s.urls(byService), [url1, url2], 'a new registration joined the answer');
  await s.store.unregister(nse('b'), s.ctx());
  assert.equal(await s.urls(byService), [url2], 'a deletion left it');
  assert.is(s.memory.watchers, 2, "the query's watch and the one of its remaining item");
});

caching('an answer emptied by deletions is not served: the registry is asked, the watch ends', async () => {
  const s = setup();
  await s.store.register(nse('a'), s.ctx());
  await s.urls(byService);
  await s.store.unregister(nse('a'), s.ctx());
  s.fail.failing = true;
  await s.urls(byService).then(
    () => assert.unreachable('should miss the cache'),
    (error: unknown) => assert.is((error as Error).message, 'find error'),
  );
  assert.is(s.cache.size, 0);
  assert.is(s.memory.watchers, 0);
});

caching('a registration that stops matching leaves the answer (the query watch never says so)', async () => {
  const s = setup();
  const a = await s.store.register(nse('a'), s.ctx());
  await s.store.register(nse('b', url2), s.ctx());
  assert.equal(await s.urls(byService), [url1, url2]);
  s.fail.failing = true;
  await s.store.register({ ...a, networkServiceNames: ['elsewhere'] }, s.ctx());
  assert.equal(await s.urls(byService), [url2], 'a moved to another service');
  await s.store.unregister(a, s.ctx());
  assert.equal(await s.urls(byService), [url2]);
  assert.is(s.memory.watchers, 2, "b's and the query's");
});

caching('past maxEntries the least recently read answer goes, with its watches', async () => {
  const memory = memoryNseRegistry();
  const store = nseRegistryHandler([memory]);
  const cache = queryCacheNse({ maxEntries: 2 });
  const client = nseRegistryHandler([cache, memory]);
  const ctx = CallContext.background();
  const read = (name: string) => lastValueFrom(client.find(query({ name }), ctx).pipe(toArray()));
  for (const name of ['a', 'b', 'c']) await store.register(nse(name), ctx);
  await read('a');
  await read('b');
  await read('a');
  await read('c');
  assert.is(cache.size, 2);
  assert.is(memory.watchers, 4, "b's answer and its watches went");
  assert.throws(
    () => queryCacheNse({ maxEntries: 0 }),
    (e: unknown) => e instanceof ConfigError,
  );
});

caching('empty answers are not cached; each query has its own entry', async () => {
  const s = setup();
  assert.equal(await s.urls(byService), []);
  assert.is(s.cache.size, 0);
  await s.store.register(nse('a'), s.ctx());
  assert.equal(await s.urls(byService), [url1], 'found at once');
  assert.equal(await s.urls(query({ name: 'a' })), [url1]);
  assert.is(s.fail.finds, 3);
  assert.is(s.cache.size, 2);
  assert.equal(await s.urls(query({ name: 'a' })), [url1]);
  assert.is(s.fail.finds, 3, 'the second by-name lookup hit');
});

caching(
  'a registration past its expiration time is left out; when none is left the registry is asked',
  async () => {
    const s = setup();
    const at = s.clock.now() + 10_000;
    const expirationTime = { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1e6 };
    await s.store.register(nse('a', url1, { expirationTime }), s.ctx());
    await s.urls(byService);
    s.fail.failing = true;
    assert.equal(await s.urls(byService), [url1]);
    s.clock.advance(10_000);
    await s.urls(byService).then(
      () => assert.unreachable('an expired registration must not be served'),
      (error: unknown) => assert.is((error as Error).message, 'find error'),
    );
  },
);

caching('unread answers are evicted at the next lookup; the cache never holds a timer', async () => {
  const s = setup();
  await s.store.register(nse('a'), s.ctx());
  await s.urls(byService);
  await s.urls(query({ name: 'a' }));
  s.fail.failing = true;
  for (let elapsed = 0; elapsed < 2 * minute; elapsed += minute / 3) {
    assert.equal(await s.urls(byService), [url1]);
    s.clock.advance(minute / 3);
  }
  assert.is(s.cache.size, 1, 'the by-name answer went unread for more than the timeout');
  assert.is(s.memory.watchers, 2, 'the query and its item');
  assert.is(s.clock.pendingTimers, 0);
});

caching('watch Finds pass through; chainSignal drops the cache and ends every watch', async () => {
  const chain = new AbortController();
  const s = setup(chain.signal);
  await s.store.register(nse('a'), s.ctx());
  const seen: string[] = [];
  const watch = s.client
    .find({ ...query({ name: 'a' }), watch: true }, s.ctx())
    .subscribe((r) => seen.push(r.networkServiceEndpoint?.name ?? '?'));
  assert.equal(seen, ['a']);
  watch.unsubscribe();
  await s.urls(byService);
  await s.urls(query({ name: 'a' }));
  assert.is(s.memory.watchers, 4, 'per answer: its query and its item');
  chain.abort();
  assert.is(s.cache.size, 0);
  assert.is(s.memory.watchers, 0);
  assert.throws(
    () => queryCacheNse({ expireTimeoutMs: 0 }),
    (e: unknown) => e instanceof ConfigError,
  );
});

caching.run();

const ns = suite('registry-query-cache: NS');

ns('network services are cached by query and follow their watch', async () => {
  const memory = memoryNsRegistry();
  const store = nsRegistryHandler([memory]);
  const fail = gate<NetworkServiceQuery, never>();
  const client = nsRegistryHandler([queryCacheNs(), fail as never, memory]);
  const ctx = CallContext.background();
  const payloads = async (): Promise<string[]> => {
    const q = { networkService: NetworkService.fromPartial({ name: 'svc' }), watch: false };
    const found = await lastValueFrom(client.find(q, ctx).pipe(toArray()));
    return found.map((r) => r.networkService?.payload ?? '?');
  };
  await store.register(NetworkService.fromPartial({ name: 'svc', payload: 'ETHERNET' }), ctx);
  assert.equal(await payloads(), ['ETHERNET']);
  fail.failing = true;
  assert.equal(await payloads(), ['ETHERNET']);
  await store.register(NetworkService.fromPartial({ name: 'svc', payload: 'IP' }), ctx);
  assert.equal(await payloads(), ['IP']);
  await store.unregister(NetworkService.fromPartial({ name: 'svc' }), ctx);
  await payloads().then(
    () => assert.unreachable('a deleted service must be looked up again'),
    () => undefined,
  );
  assert.is(memory.watchers, 0);
});

ns.run();
