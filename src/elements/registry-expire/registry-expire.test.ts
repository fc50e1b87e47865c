import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Subscription } from 'rxjs';
import { NetworkServiceEndpoint, type NetworkServiceEndpointResponse } from '../../api/gen/registry.js';
import { msFromTimestamp, rfc3339Nano, timestampFromMs } from '../../api/timestamp.js';
import { withIncomingCall } from '../../chain/call-metadata.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError } from '../../chain/errors.js';
import { nseRegistryHandler, nseRegistryTail, type NseRegistryElement } from '../../chain/registry.js';
import { manualClock, type ManualClock } from '../../testing/index.js';
import { beginNseServer } from '../registry-begin/index.js';
import { memoryNseRegistry } from '../registry-memory/index.js';
import { updatePathNseServer } from '../registry-update-path/index.js';
import { expireNse } from './index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
const nse = (name: string, extra: Partial<NetworkServiceEndpoint> = {}): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, ...extra });

/** A chain begin → [before] → expire → memory, on a manual clock, with a watch on every NSE. */
function setup(
  options: { defaultExpirationMs?: number; before?: (clock: ManualClock) => NseRegistryElement[] } = {},
) {
  const clock = manualClock();
  const memory = memoryNseRegistry();
  const expire = expireNse(
    options.defaultExpirationMs === undefined ? {} : { defaultExpirationMs: options.defaultExpirationMs },
  );
  const handler = nseRegistryHandler([...(options.before?.(clock) ?? []), beginNseServer(), expire, memory]);
  const ctx = (): CallContext => withClock(CallContext.background(), clock);
  const events: NetworkServiceEndpointResponse[] = [];
  const watch: Subscription = handler
    .find({ networkServiceEndpoint: undefined, watch: true }, ctx())
    .subscribe((event) => events.push(event));
  const deleted = (): string[] =>
    events.filter((e) => e.deleted).map((e) => e.networkServiceEndpoint?.name ?? '?');
  return { clock, memory, expire, handler, ctx, deleted, stop: () => watch.unsubscribe() };
}

const inMs = (clock: ManualClock, response: NetworkServiceEndpoint): number =>
  msFromTimestamp(response.expirationTime!) - clock.now();

/** A JWT-shaped token (unsigned) whose `sub` is `subject`. */
const jwt = (subject: string): string =>
  ['e30', Buffer.from(JSON.stringify({ sub: subject })).toString('base64url'), 'sig'].join('.');

const times = suite('registry-expire: choosing the expiration time');

times('the default applies when nothing earlier is known', async () => {
  const s = setup();
  assert.is(inMs(s.clock, await s.handler.register(nse('a'), s.ctx())), 60_000);
  const short = setup({ defaultExpirationMs: 1000 });
  assert.is(inMs(short.clock, await short.handler.register(nse('a'), short.ctx())), 1000);
  s.stop();
  short.stop();
});

times('an earlier time asked by the NSE is kept, and the NSE is removed then', async () => {
  const s = setup({ defaultExpirationMs: 1000 });
  const asked = nse('a', { expirationTime: timestampFromMs(s.clock.now() + 500) });
  assert.is(inMs(s.clock, await s.handler.register(asked, s.ctx())), 500);
  s.clock.advance(499);
  await flush();
  assert.is(s.memory.size, 1);
  s.clock.advance(1);
  await flush();
  assert.is(s.memory.size, 0);
  assert.equal(s.deleted(), ['a']);
  assert.is(s.expire.size, 0);
  s.stop();
});

times("this hop's token expiry and the caller's token expiry both lower it", async () => {
  const s = setup({
    before: (clock) => [
      updatePathNseServer({
        tokenGenerator: () => ({ token: jwt('spiffe://t/reg'), expiresAt: clock.now() + 3000 }),
      }),
    ],
  });
  assert.is(inMs(s.clock, await s.handler.register(nse('a'), s.ctx())), 3000);
  const peer = withIncomingCall(
    s.ctx(),
    {
      'nsm-client-token': [jwt('spiffe://t/nse')],
      'nsm-client-token-expires': [rfc3339Nano(timestampFromMs(s.clock.now() + 2000))],
    },
    { address: 'test' },
  );
  assert.is(inMs(s.clock, await s.handler.register(nse('b'), peer)), 2000);
  s.stop();
});

times("the response's expiry wins when it is earlier", async () => {
  const clock = manualClock();
  const handler = nseRegistryHandler([beginNseServer(), expireNse()], {
    ...nseRegistryTail,
    register: async (entry) => ({ ...entry, expirationTime: timestampFromMs(clock.now() + 10_000) }),
  });
  const ctx = withClock(CallContext.background(), clock);
  const response = await handler.register(nse('a'), ctx);
  assert.is(msFromTimestamp(response.expirationTime!) - clock.now(), 10_000);
  assert.is(clock.pendingTimers, 1);
  await handler.unregister(nse('a'), ctx);
});

times('the unregister is scheduled early by the time the Register call had left', async () => {
  const s = setup({ defaultExpirationMs: 60_000 });
  const scope = withCancel(s.ctx(), 5000, s.clock);
  await s.handler.register(nse('a'), scope.ctx);
  scope.cancel();
  s.clock.advance(55_000);
  await flush();
  assert.equal(s.deleted(), ['a']);
  s.stop();
});

times.run();

const life = suite('registry-expire: refresh, unregister, errors');

life('re-registering in time keeps the NSE; each Register replaces the timer', async () => {
  const s = setup({ defaultExpirationMs: 1000 });
  for (let i = 0; i < 5; i++) {
    await s.handler.register(nse('a'), s.ctx());
    assert.is(s.clock.pendingTimers, 1);
    s.clock.advance(700);
    await flush();
  }
  assert.equal(s.deleted(), []);
  assert.is(s.memory.size, 1);
  s.clock.advance(300);
  await flush();
  assert.equal(s.deleted(), ['a']);
  s.stop();
});

life('Unregister cancels the expiry', async () => {
  const s = setup({ defaultExpirationMs: 1000 });
  await s.handler.register(nse('a'), s.ctx());
  await s.handler.unregister(nse('a'), s.ctx());
  assert.is(s.expire.size, 0);
  assert.is(s.clock.pendingTimers, 0);
  assert.equal(s.deleted(), ['a']);
  s.stop();
});

life('a failed refresh keeps the old expiry', async () => {
  const clock = manualClock();
  let fail = false;
  const memory = memoryNseRegistry();
  const handler = nseRegistryHandler([
    beginNseServer(),
    expireNse({ defaultExpirationMs: 1000 }),
    {
      name: 'flaky',
      register: (entry, ctx, next) =>
        fail ? Promise.reject(new Error('refused')) : next.register(entry, ctx),
    },
    memory,
  ]);
  const ctx = withClock(CallContext.background(), clock);
  await handler.register(nse('a'), ctx);
  fail = true;
  clock.advance(500);
  await handler.register(nse('a'), ctx).catch(() => undefined);
  clock.advance(500);
  await flush();
  assert.is(memory.size, 0);
});

life('without a registry begin, Register fails with REGISTRY_EXPIRE_NO_BEGIN before next', async () => {
  let called = false;
  const handler = nseRegistryHandler([expireNse()], {
    ...nseRegistryTail,
    register: async (entry) => {
      called = true;
      return entry;
    },
  });
  try {
    await handler.register(nse('a'), CallContext.background());
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INTERNAL);
    assert.is(error.reason, 'REGISTRY_EXPIRE_NO_BEGIN');
  }
  assert.not.ok(called);
});

life('chainSignal drops every pending expiry; bad options throw ConfigError', async () => {
  const clock = manualClock();
  const chain = new AbortController();
  const expire = expireNse({ chainSignal: chain.signal });
  const handler = nseRegistryHandler([beginNseServer(), expire]);
  const ctx = withClock(CallContext.background(), clock);
  await handler.register(nse('a'), ctx);
  await handler.register(nse('b'), ctx);
  chain.abort();
  assert.is(expire.size, 0);
  assert.is(clock.pendingTimers, 0);
  assert.throws(
    () => expireNse({ defaultExpirationMs: -1 }),
    (e: unknown) => e instanceof ConfigError,
  );
});

life.run();
