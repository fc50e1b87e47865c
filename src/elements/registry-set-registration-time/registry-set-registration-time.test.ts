import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { nseRegistryHandler, nseRegistryTail } from '../../chain/registry.js';
import { manualClock } from '../../testing/index.js';
import { setRegistrationTimeNse } from './index.js';

const clock = manualClock(Date.UTC(2026, 0, 1));
const ctx = (): CallContext => withClock(CallContext.background(), clock);
const nse = (name: string, extra: Partial<NetworkServiceEndpoint> = {}): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, ...extra });
const t0 = { seconds: Date.UTC(2026, 0, 1) / 1000, nanos: 0 };

const test = suite('registry-set-registration-time');

test('the first Register stamps now; refreshes keep the first time whatever they send', async () => {
  const element = setRegistrationTimeNse();
  const handler = nseRegistryHandler([element]);
  const first = await handler.register(nse('a'), ctx());
  assert.equal(first.initialRegistrationTime, t0);
  clock.advance(30_000);
  const refreshed = await handler.register(
    nse('a', { initialRegistrationTime: { seconds: 1, nanos: 0 } }),
    ctx(),
  );
  assert.equal(refreshed.initialRegistrationTime, t0);
  assert.is(element.size, 1);
});

test('a time sent with the first Register is kept', async () => {
  const handler = nseRegistryHandler([setRegistrationTimeNse()]);
  const sent = { seconds: 42, nanos: 7 };
  const kept = (await handler.register(nse('a', { initialRegistrationTime: sent }), ctx()))
    .initialRegistrationTime;
  assert.equal([kept?.seconds, kept?.nanos], [42, 7]);
});

test('Unregister and a failed first Register forget the name', async () => {
  const element = setRegistrationTimeNse();
  let fail = true;
  const handler = nseRegistryHandler([element], {
    ...nseRegistryTail,
    register: async (entry) => {
      if (fail) throw new Error('refused');
      return entry;
    },
  });
  await handler.register(nse('a'), ctx()).catch(() => undefined);
  assert.is(element.size, 0);
  fail = false;
  await handler.register(nse('a'), ctx());
  clock.advance(1000);
  await handler.unregister(nse('a'), ctx());
  assert.is(element.size, 0);
  const again = await handler.register(nse('a'), ctx());
  assert.equal(again.initialRegistrationTime?.seconds, clock.now() / 1000);
});

test.run();
