import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Observable, of } from 'rxjs';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointResponse,
} from '../../api/gen/registry.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError, StatusError } from '../../chain/errors.js';
import {
  nseRegistryHandler,
  nseRegistryTail,
  nsRegistryHandler,
  type NseRegistryElement,
} from '../../chain/registry.js';
import { manualClock } from '../../testing/index.js';
import { beginNsClient, beginNseClient } from '../registry-begin/index.js';
import { memoryNseRegistry, memoryNsRegistry } from '../registry-memory/index.js';
import { healNsClient, healNseClient } from './index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
const nse = (name: string): NetworkServiceEndpoint => NetworkServiceEndpoint.fromPartial({ name });

/** The "network" to the next hop: counts Registers and can break every open Find stream. */
function network(): NseRegistryElement & { registers: number; breakAll(): void; open: number } {
  const breakers = new Set<() => void>();
  const self = {
    name: 'network',
    registers: 0,
    get open() {
      return breakers.size;
    },
    breakAll: () => [...breakers].forEach((b) => b()),
    register: (
      entry: NetworkServiceEndpoint,
      ctx: CallContext,
      next: Parameters<NonNullable<NseRegistryElement['register']>>[2],
    ) => {
      self.registers++;
      return next.register(entry, ctx);
    },
    find: (
      query: Parameters<NonNullable<NseRegistryElement['find']>>[0],
      ctx: CallContext,
      next: Parameters<NonNullable<NseRegistryElement['find']>>[2],
    ) =>
      new Observable<NetworkServiceEndpointResponse>((subscriber) => {
        const fail = (): void => subscriber.error(new StatusError(Code.UNAVAILABLE, 'peer restarted'));
        breakers.add(fail);
        const inner = next.find(query, ctx).subscribe(subscriber);
        return () => {
          breakers.delete(fail);
          inner.unsubscribe();
        };
      }),
  };
  return self;
}

const registration = suite('registry-heal: registrations');

registration('a broken registration watch registers again, and watches anew', async () => {
  const net = network();
  const memory = memoryNseRegistry();
  const heal = healNseClient();
  const client = nseRegistryHandler([beginNseClient(), heal, net, memory]);
  await client.register(nse('a'), CallContext.background());
  assert.is(net.registers, 1);
  assert.is(net.open, 1);
  net.breakAll();
  await flush();
  assert.is(net.registers, 2);
  assert.is(net.open, 1, 'the new watch replaced the broken one');
  await client.unregister(nse('a'), CallContext.background());
  assert.is(net.open, 0);
  assert.is(heal.size, 0);
  assert.is(memory.watchers, 0);
});

registration(
  'chainSignal ends every watch; without begin Register fails with REGISTRY_HEAL_NO_BEGIN',
  async () => {
    const chain = new AbortController();
    const net = network();
    const heal = healNseClient({ chainSignal: chain.signal });
    const client = nseRegistryHandler([beginNseClient(), heal, net, memoryNseRegistry()]);
    await client.register(nse('a'), CallContext.background());
    await client.register(nse('b'), CallContext.background());
    assert.is(net.open, 2);
    chain.abort();
    assert.is(net.open, 0);
    assert.is(heal.size, 0);
    try {
      await nseRegistryHandler([healNseClient()]).register(nse('a'), CallContext.background());
      assert.unreachable('should fail');
    } catch (error) {
      assert.ok(isStatusError(error));
      assert.is(error.reason, 'REGISTRY_HEAL_NO_BEGIN');
    }
  },
);

registration('the NS twin heals NS registrations', async () => {
  let registers = 0;
  let breakWatch: (() => void) | undefined;
  const client = nsRegistryHandler([
    beginNsClient(),
    healNsClient(),
    {
      name: 'network',
      register: (ns, ctx, next) => (registers++, next.register(ns, ctx)),
      find: (query, ctx, next) =>
        new Observable((subscriber) => {
          breakWatch = () => subscriber.error(new StatusError(Code.UNAVAILABLE, 'gone'));
          const inner = next.find(query, ctx).subscribe(subscriber);
          return () => inner.unsubscribe();
        }),
    },
    memoryNsRegistry(),
  ]);
  await client.register(NetworkService.fromPartial({ name: 'svc' }), CallContext.background());
  breakWatch?.();
  await flush();
  assert.is(registers, 2);
  await client.unregister(NetworkService.fromPartial({ name: 'svc' }), CallContext.background());
});

registration.run();

const finds = suite('registry-heal: watch Finds');

finds('a broken watch is opened again after 100 ms and goes on delivering', async () => {
  const clock = manualClock();
  const net = network();
  const memory = memoryNseRegistry();
  const client = nseRegistryHandler([healNseClient(), net, memory]);
  const store = nseRegistryHandler([memory]);
  const scope = withCancel(withClock(CallContext.background(), clock));
  const seen: string[] = [];
  let done = false;
  const subscription = client.find({ networkServiceEndpoint: undefined, watch: true }, scope.ctx).subscribe({
    next: (r) => seen.push(r.networkServiceEndpoint?.name ?? '?'),
    complete: () => (done = true),
  });
  await store.register(nse('a'), scope.ctx);
  net.breakAll();
  await store.register(nse('b'), scope.ctx);
  clock.advance(99);
  assert.equal(seen, ['a']);
  clock.advance(1);
  assert.equal(seen, ['a', 'a', 'b'], 'the new stream starts with the current state');
  await store.register(nse('c'), scope.ctx);
  assert.equal(seen, ['a', 'a', 'b', 'c']);
  scope.cancel();
  assert.ok(done);
  assert.is(net.open, 0);
  assert.is(clock.pendingTimers, 0);
  subscription.unsubscribe();
});

finds('unsubscribing during the delay cancels the reopen; non-watch Finds pass through', async () => {
  const clock = manualClock();
  const net = network();
  const client = nseRegistryHandler([healNseClient(), net, memoryNseRegistry()]);
  const ctx = withClock(CallContext.background(), clock);
  const subscription = client.find({ networkServiceEndpoint: undefined, watch: true }, ctx).subscribe();
  net.breakAll();
  assert.is(clock.pendingTimers, 1);
  subscription.unsubscribe();
  assert.is(clock.pendingTimers, 0);
  let opened = 0;
  const plain = nseRegistryHandler([healNseClient()], {
    ...nseRegistryTail,
    find: () => (opened++, of({ networkServiceEndpoint: nse('x'), deleted: false })),
  });
  plain.find({ networkServiceEndpoint: undefined, watch: false }, ctx).subscribe();
  clock.advance(1000);
  assert.is(opened, 1);
});

finds.run();
