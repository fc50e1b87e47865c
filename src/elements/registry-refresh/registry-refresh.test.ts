import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { nseRegistryHandler, nseRegistryTail, type NseRegistryElement } from '../../chain/registry.js';
import { manualClock, type ManualClock } from '../../testing/index.js';
import { beginNseClient, beginNseServer } from '../registry-begin/index.js';
import { expireNse } from '../registry-expire/index.js';
import { memoryNseRegistry } from '../registry-memory/index.js';
import { refreshNseClient } from './index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
const nse = (name: string): NetworkServiceEndpoint => NetworkServiceEndpoint.fromPartial({ name });

/** A registry stand-in answering with an expiry `lifetimeMs` ahead (none when undefined), counting calls. */
function registry(clock: ManualClock, lifetimeMs: number | undefined) {
  const counts = { register: 0, unregister: 0 };
  const element: NseRegistryElement = {
    name: 'registry',
    register: async (entry) => {
      counts.register++;
      return lifetimeMs === undefined
        ? entry
        : { ...entry, expirationTime: timestampFromMs(clock.now() + lifetimeMs) };
    },
    unregister: async () => void counts.unregister++,
  };
  return { element, counts };
}

const refresh = suite('registry-refresh');

refresh('re-registers at 2/3 of the time left, again and again, until Unregister', async () => {
  const clock = manualClock();
  const ctx = withClock(CallContext.background(), clock);
  const stub = registry(clock, 3000);
  const element = refreshNseClient();
  const client = nseRegistryHandler([beginNseClient(), element, stub.element]);
  await client.register(nse('a'), ctx);
  clock.advance(1999);
  await flush();
  assert.is(stub.counts.register, 1);
  clock.advance(1);
  await flush();
  assert.is(stub.counts.register, 2);
  clock.advance(2000);
  await flush();
  assert.is(stub.counts.register, 3);
  assert.is(clock.pendingTimers, 1, 'one schedule per name');
  await client.unregister(nse('a'), ctx);
  assert.is(element.size, 0);
  assert.is(clock.pendingTimers, 0);
  clock.advance(10_000);
  await flush();
  assert.is(stub.counts.register, 3);
});

refresh('a response without an expiration time schedules nothing', async () => {
  const clock = manualClock();
  const stub = registry(clock, undefined);
  const client = nseRegistryHandler([beginNseClient(), refreshNseClient(), stub.element]);
  await client.register(nse('a'), withClock(CallContext.background(), clock));
  assert.is(clock.pendingTimers, 0);
});

refresh('chainSignal stops every schedule', async () => {
  const clock = manualClock();
  const chain = new AbortController();
  const element = refreshNseClient({ chainSignal: chain.signal });
  const client = nseRegistryHandler([beginNseClient(), element, registry(clock, 3000).element]);
  const ctx = withClock(CallContext.background(), clock);
  await client.register(nse('a'), ctx);
  await client.register(nse('b'), ctx);
  chain.abort();
  assert.is(element.size, 0);
  assert.is(clock.pendingTimers, 0);
});

refresh('without a registry begin, Register fails with REGISTRY_REFRESH_NO_BEGIN', async () => {
  try {
    await nseRegistryHandler([refreshNseClient()], nseRegistryTail).register(
      nse('a'),
      CallContext.background(),
    );
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INTERNAL);
    assert.is(error.reason, 'REGISTRY_REFRESH_NO_BEGIN');
  }
});

refresh('against a server with expire, refreshing keeps the registration alive', async () => {
  const clock = manualClock();
  const ctx = withClock(CallContext.background(), clock);
  const memory = memoryNseRegistry();
  const server = nseRegistryHandler([beginNseServer(), expireNse({ defaultExpirationMs: 1000 }), memory]);
  const wire: NseRegistryElement = {
    name: 'wire',
    register: (entry, c) => server.register(entry, c),
    unregister: (entry, c) => server.unregister(entry, c),
  };
  const client = nseRegistryHandler([beginNseClient(), refreshNseClient(), wire]);
  await client.register(nse('a'), ctx);
  for (let i = 0; i < 3; i++) {
    clock.advance((1000 * 2) / 3 + 1);
    await flush();
    assert.is(memory.size, 1);
  }
  await client.unregister(nse('a'), ctx);
  assert.is(memory.size, 0);
  assert.is(clock.pendingTimers, 0);
});

refresh.run();
