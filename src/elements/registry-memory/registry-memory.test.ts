import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, of, toArray, type Observable } from 'rxjs';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointQuery,
  type NetworkServiceEndpointResponse,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { withCancel } from '../../chain/cancel.js';
import { CallContext } from '../../chain/context.js';
import {
  nseRegistryHandler,
  nseRegistryTail,
  nsRegistryHandler,
  nsRegistryTail,
} from '../../chain/registry.js';
import { matchNs, matchNse, memoryNseRegistry, memoryNsRegistry } from './index.js';

const bg = (): CallContext => CallContext.background();
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const nse = (name: string, extra: Partial<NetworkServiceEndpoint> = {}): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, ...extra });
const query = (template: Partial<NetworkServiceEndpoint>, watch = false): NetworkServiceEndpointQuery => ({
  networkServiceEndpoint: NetworkServiceEndpoint.fromPartial(template),
  watch,
});
const all = <T>(stream$: Observable<T>): Promise<T[]> => lastValueFrom(stream$.pipe(toArray()));
const names = (responses: readonly NetworkServiceEndpointResponse[]): string[] =>
  responses.map((r) => `${r.networkServiceEndpoint?.name ?? '?'}${r.deleted ? ':deleted' : ''}`);

/** Collects what a subscription receives. */
function watch<T>(stream$: Observable<T>): { received: T[]; done: boolean; stop(): void } {
  const state = { received: [] as T[], done: false, stop: () => subscription.unsubscribe() };
  const subscription = stream$.subscribe({
    next: (value) => state.received.push(value),
    complete: () => (state.done = true),
    error: () => (state.done = true),
  });
  return state;
}

const labeled = (): NetworkServiceEndpoint[] => [
  nse('nse1', {
    networkServiceNames: ['Service1'],
    networkServiceLabels: { Service1: { labels: { foo: 'bar' } } },
  }),
  nse('nse2', {
    networkServiceNames: ['Service1', 'Service2'],
    networkServiceLabels: {
      Service1: { labels: { a: 'b', c: 'd' } },
      Service2: { labels: { 1: '2', 3: '4' } },
    },
  }),
  nse('nse3', {
    networkServiceNames: ['Service1'],
    networkServiceLabels: { Service555: { labels: { a: 'b', c: 'd' } } },
  }),
];

const find = suite('registry-memory: NSE register and find');

find('find without watch sends the matches, then what next finds, and ends', async () => {
  const memory = memoryNseRegistry();
  const handler = nseRegistryHandler([memory], {
    ...nseRegistryTail,
    find: () => of({ networkServiceEndpoint: nse('from-next'), deleted: false }),
  });
  for (const name of ['a', 'b', 'c']) await handler.register(nse(name), bg());
  assert.equal(names(await all(handler.find(query({ name: 'a' }), bg()))), ['a', 'from-next']);
  assert.equal(names(await all(handler.find(query({}), bg()))), ['a', 'b', 'c', 'from-next']);
  assert.is(memory.size, 3);
});

find('queries match labels, service names and url substrings', async () => {
  const handler = nseRegistryHandler([memoryNseRegistry()]);
  for (const entry of labeled()) await handler.register(entry, bg());
  const byLabel = query({ networkServiceLabels: { Service1: { labels: { c: 'd' } } } });
  assert.equal(names(await all(handler.find(byLabel, bg()))), ['nse2']);
  assert.equal(names(await all(handler.find(query({ networkServiceNames: ['Service2'] }), bg()))), ['nse2']);
  await handler.register(nse('u', { url: 'tcp://10.0.0.7:5000' }), bg());
  assert.equal(names(await all(handler.find(query({ url: '10.0.0.7' }), bg()))), ['u']);
});

find('register stores what next returned; a failing next stores nothing', async () => {
  const memory = memoryNseRegistry();
  let fail = false;
  const handler = nseRegistryHandler([memory], {
    ...nseRegistryTail,
    register: async (entry) => {
      if (fail) throw new Error('store refused');
      return { ...entry, url: 'tcp://set-by-next:1' };
    },
  });
  const returned = await handler.register(nse('a'), bg());
  assert.is(returned.url, 'tcp://set-by-next:1');
  returned.url = 'mutated';
  const [stored] = await all(handler.find(query({ name: 'a' }), bg()));
  assert.is(stored?.networkServiceEndpoint?.url, 'tcp://set-by-next:1', 'the store keeps its own copy');
  fail = true;
  await handler.register(nse('b'), bg()).catch(() => undefined);
  assert.is(memory.size, 1);
});

find('unregister deletes, then calls next; unknown names still reach next', async () => {
  const memory = memoryNseRegistry();
  const unregistered: string[] = [];
  const handler = nseRegistryHandler([memory], {
    ...nseRegistryTail,
    unregister: async (entry) => void unregistered.push(entry.name),
  });
  await handler.register(nse('a'), bg());
  await handler.unregister(nse('a'), bg());
  await handler.unregister(nse('ghost'), bg());
  assert.is(memory.size, 0);
  assert.equal(unregistered, ['a', 'ghost']);
});

find.run();

const watching = suite('registry-memory: NSE watch');

watching(
  'a watch gets the current matches, then changes including deletions, until unsubscribed',
  async () => {
    const memory = memoryNseRegistry();
    const handler = nseRegistryHandler([memory]);
    await handler.register(nse('a'), bg());
    await handler.register(nse('b'), bg());
    const w = watch(handler.find(query({ name: 'a' }, true), bg()));
    assert.equal(names(w.received), ['a']);
    await handler.register(nse('a', { url: 'tcp://h:2' }), bg());
    await handler.register(nse('b', { url: 'tcp://h:2' }), bg());
    await handler.unregister(nse('a'), bg());
    assert.equal(names(w.received), ['a', 'a', 'a:deleted']);
    assert.is(w.received[1]?.networkServiceEndpoint?.url, 'tcp://h:2');
    assert.is(memory.watchers, 1);
    w.stop();
    assert.is(memory.watchers, 0);
    assert.not.ok(w.done);
  },
);

watching('a watch ends when ctx.signal aborts; an aborted ctx gets nothing', async () => {
  const memory = memoryNseRegistry();
  const handler = nseRegistryHandler([memory]);
  await handler.register(nse('a'), bg());
  const scope = withCancel(bg());
  const w = watch(handler.find(query({}, true), scope.ctx));
  scope.cancel();
  assert.ok(w.done);
  assert.is(memory.watchers, 0);
  const late = watch(handler.find(query({}, true), scope.ctx));
  assert.ok(late.done);
  assert.equal(late.received, []);
});

watching('NSE watch calls next Find before streaming', async () => {
  const handler = nseRegistryHandler([memoryNseRegistry()], {
    ...nseRegistryTail,
    find: () => of({ networkServiceEndpoint: nse('from-next'), deleted: false }),
  });
  await handler.register(nse('a'), bg());
  const w = watch(handler.find(query({}, true), bg()));
  assert.equal(names(w.received), ['from-next', 'a']);
  w.stop();
});

watching('every watcher gets its own copies of all 50 registrations and unregistrations', async () => {
  const handler = nseRegistryHandler([memoryNseRegistry()]);
  await handler.register(nse('nse'), bg());
  const watchers = Array.from({ length: 10 }, () => watch(handler.find(query({}, true), bg())));
  const first = watchers[0]!;
  const tamper = first.received;
  await Promise.all(Array.from({ length: 50 }, (_, i) => handler.register(nse(`nse-${i}`), bg())));
  for (const response of tamper)
    if (response.networkServiceEndpoint) response.networkServiceEndpoint.name = '';
  for (const w of watchers.slice(1)) {
    assert.is(w.received.length, 51);
    assert.ok(w.received.every((r) => r.networkServiceEndpoint?.name !== ''));
  }
  await Promise.all(Array.from({ length: 50 }, (_, i) => handler.unregister(nse(`nse-${i}`), bg())));
  for (const w of watchers) {
    assert.is(w.received.filter((r) => r.deleted).length, 50);
    w.stop();
  }
});

watching('a watcher that stops mid-stream does not disturb the others', async () => {
  const memory = memoryNseRegistry();
  const handler = nseRegistryHandler([memory]);
  const quitter = watch(handler.find(query({}, true), bg()));
  const steady = watch(handler.find(query({}, true), bg()));
  await handler.register(nse('a'), bg());
  quitter.stop();
  await handler.register(nse('b'), bg());
  await flush();
  assert.equal(names(quitter.received), ['a']);
  assert.equal(names(steady.received), ['a', 'b']);
  steady.stop();
  assert.is(memory.watchers, 0);
});

watching.run();

const ns = suite('registry-memory: NS registry');

ns('register, find by payload and by matches, watch with deletions', async () => {
  const memory = memoryNsRegistry();
  const handler = nsRegistryHandler([memory]);
  const withMatch = NetworkService.fromPartial({
    name: 'svc-a',
    payload: 'ETHERNET',
    matches: [{ sourceSelector: { app: 'x' }, routes: [{ destinationSelector: { v: '1' } }] }],
  });
  await handler.register(withMatch, bg());
  await handler.register(NetworkService.fromPartial({ name: 'svc-b', payload: 'IP' }), bg());
  const nsNames = (rs: readonly NetworkServiceResponse[]): string[] =>
    rs.map((r) => `${r.networkService?.name ?? '?'}${r.deleted ? ':deleted' : ''}`);
  const q = (template: Partial<NetworkService>, isWatch = false) => ({
    networkService: NetworkService.fromPartial(template),
    watch: isWatch,
  });
  assert.equal(nsNames(await all(handler.find(q({ payload: 'IP' }), bg()))), ['svc-b']);
  assert.equal(nsNames(await all(handler.find(q({ matches: withMatch.matches }), bg()))), ['svc-a']);
  const w = watch(handler.find(q({ name: 'svc-b' }, true), bg()));
  await handler.unregister(NetworkService.fromPartial({ name: 'svc-b' }), bg());
  assert.equal(nsNames(w.received), ['svc-b', 'svc-b:deleted']);
  w.stop();
  assert.is(memory.size, 1);
});

ns('NS watch calls next Find only after its own stream ends', async () => {
  let nextCalls = 0;
  const handler = nsRegistryHandler([memoryNsRegistry()], {
    ...nsRegistryTail,
    find: () => {
      nextCalls++;
      return of({ networkService: NetworkService.fromPartial({ name: 'from-next' }), deleted: false });
    },
  });
  const scope = withCancel(bg());
  const w = watch(handler.find({ networkService: undefined, watch: true }, scope.ctx));
  assert.is(nextCalls, 0);
  scope.cancel();
  assert.is(nextCalls, 1);
  assert.ok(w.done);
});

ns.run();

const match = suite('registry-memory: matchNs and matchNse');

match('empty templates match everything; each field narrows', () => {
  const entry = nse('a', {
    url: 'tcp://10.0.0.1:5000',
    networkServiceNames: ['s1', 's2'],
    networkServiceLabels: { s1: { labels: { app: 'x', v: '1' } } },
    expirationTime: { seconds: 100, nanos: 5 },
  });
  assert.ok(matchNse(undefined, entry));
  assert.ok(matchNse(nse(''), entry));
  assert.ok(matchNse(nse('', { expirationTime: { seconds: 100, nanos: 0 } }), entry));
  assert.not.ok(matchNse(nse('', { expirationTime: { seconds: 101, nanos: 0 } }), entry));
  assert.ok(matchNse(nse('', { networkServiceNames: ['s2'] }), entry));
  assert.not.ok(matchNse(nse('', { networkServiceNames: ['s3'] }), entry));
  assert.ok(matchNse(nse('', { networkServiceLabels: { s1: { labels: { app: 'x' } } } }), entry));
  assert.not.ok(matchNse(nse('', { networkServiceLabels: { s1: { labels: { app: 'y' } } } }), entry));
  assert.not.ok(matchNse(nse('', { networkServiceLabels: { s2: { labels: {} } } }), entry));
  assert.not.ok(matchNse(nse('', { url: '10.0.0.2' }), entry));
  assert.not.ok(matchNse(nse('b'), entry));
  const service = NetworkService.fromPartial({ name: 's', payload: 'IP', matches: [{ fallthrough: true }] });
  assert.ok(matchNs(NetworkService.fromPartial({}), service));
  assert.ok(matchNs(NetworkService.fromPartial({ matches: [{ fallthrough: true }] }), service));
  assert.not.ok(matchNs(NetworkService.fromPartial({ matches: [{ fallthrough: false }] }), service));
  assert.not.ok(matchNs(NetworkService.fromPartial({ payload: 'ETHERNET' }), service));
});

match.run();
