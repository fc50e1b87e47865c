import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, of, toArray } from 'rxjs';
import { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { nseRegistryHandler, nsRegistryHandler, type NseRegistryElement } from '../../chain/registry.js';
import { manualClock } from '../../testing/index.js';
import {
  beginNsClient,
  beginNseClient,
  beginNseServer,
  beginNsServer,
  nseEventFactoryOf,
  type RegistryEventFactory,
} from './index.js';

const bg = (): CallContext => CallContext.background();
const nse = (name: string, url = 'tcp://127.0.0.1:1'): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, url, networkServiceNames: ['svc'] });

/** Records calls after begin, captures the event factory, and answers with an expiration time set. */
function store(): NseRegistryElement & {
  readonly calls: string[];
  readonly unregistered: NetworkServiceEndpoint[];
  factory: RegistryEventFactory | undefined;
  inFlight: number;
  maxInFlight: number;
  fail: boolean;
} {
  const self = {
    name: 'store',
    calls: [] as string[],
    unregistered: [] as NetworkServiceEndpoint[],
    factory: undefined as RegistryEventFactory | undefined,
    inFlight: 0,
    maxInFlight: 0,
    fail: false,
    async register(entry: NetworkServiceEndpoint, ctx: CallContext) {
      self.calls.push(`register:${entry.name}:${entry.url}`);
      self.factory = nseEventFactoryOf(ctx);
      self.inFlight++;
      self.maxInFlight = Math.max(self.maxInFlight, self.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      self.inFlight--;
      if (self.fail) throw new Error('store failed');
      return { ...entry, expirationTime: { seconds: 100, nanos: 0 } };
    },
    async unregister(entry: NetworkServiceEndpoint) {
      self.calls.push(`unregister:${entry.name}:${entry.url}`);
      self.unregistered.push(entry);
      await Promise.resolve();
    },
  };
  return self;
}

const server = suite('registry-begin: server');

server('an empty name is refused with REGISTRY_EMPTY_NAME and nothing runs', async () => {
  const s = store();
  const handler = nseRegistryHandler([beginNseServer(), s]);
  try {
    await handler.register(nse(''), bg());
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INVALID_ARGUMENT);
    assert.is(error.reason, 'REGISTRY_EMPTY_NAME');
  }
  assert.equal(s.calls, []);
});

server('calls for one name never overlap and keep their order', async () => {
  const s = store();
  const begin = beginNseServer();
  const handler = nseRegistryHandler([begin, s]);
  const calls = [];
  for (let i = 0; i < 20; i++) calls.push(handler.register(nse('a', `tcp://127.0.0.1:${i}`), bg()));
  await Promise.all(calls);
  assert.is(s.maxInFlight, 1);
  assert.equal(
    s.calls,
    Array.from({ length: 20 }, (_, i) => `register:a:tcp://127.0.0.1:${i}`),
  );
  await handler.unregister(nse('a'), bg());
  assert.is(begin.size, 0);
});

server('distinct names run concurrently', async () => {
  const s = store();
  const handler = nseRegistryHandler([beginNseServer(), s]);
  await Promise.all(['a', 'b', 'c'].map((name) => handler.register(nse(name), bg())));
  assert.ok(s.maxInFlight > 1);
});

server('unregister uses what was registered, not what the caller sends', async () => {
  const s = store();
  const handler = nseRegistryHandler([beginNseServer(), s]);
  await handler.register(nse('a', 'tcp://10.0.0.1:5000'), bg());
  await handler.unregister(nse('a', 'tcp://wrong:1'), bg());
  assert.equal(s.calls.at(-1), 'unregister:a:tcp://10.0.0.1:5000');
});

server('a failed first register leaves nothing behind; a failed refresh keeps the registration', async () => {
  const s = store();
  const begin = beginNseServer();
  const handler = nseRegistryHandler([begin, s]);
  s.fail = true;
  await handler.register(nse('a'), bg()).catch(() => undefined);
  assert.is(begin.size, 0);
  s.fail = false;
  await handler.register(nse('a', 'tcp://10.0.0.1:1'), bg());
  s.fail = true;
  await handler.register(nse('a', 'tcp://10.0.0.2:2'), bg()).catch(() => undefined);
  assert.is(begin.size, 1);
  await handler.unregister(nse('a'), bg());
  assert.equal(s.calls.at(-1), 'unregister:a:tcp://10.0.0.1:1');
  assert.is(begin.size, 0);
});

server('register, unregister, register, unregister fired at once all reach the store in order', async () => {
  const s = store();
  const begin = beginNseServer();
  const handler = nseRegistryHandler([begin, s]);
  await Promise.all([
    handler.register(nse('a', 'tcp://h:1'), bg()),
    handler.unregister(nse('a'), bg()),
    handler.register(nse('a', 'tcp://h:2'), bg()),
    handler.unregister(nse('a'), bg()),
  ]);
  assert.equal(s.calls, [
    'register:a:tcp://h:1',
    'unregister:a:tcp://h:1',
    'register:a:tcp://h:2',
    'unregister:a:tcp://h:2',
  ]);
  assert.is(begin.size, 0);
});

server(
  'events: register re-runs the rest of the chain; unregister frees the entry; later events skip',
  async () => {
    const s = store();
    const begin = beginNseServer();
    const handler = nseRegistryHandler([begin, s]);
    await handler.register(nse('a', 'tcp://h:1'), bg());
    const factory = s.factory!;
    assert.equal(await factory.register(), { status: 'done' });
    assert.equal(s.calls.at(-1), 'register:a:tcp://h:1');
    const aborted = new AbortController();
    aborted.abort();
    assert.equal(await factory.register({ cancelSignal: aborted.signal }), { status: 'skipped' });
    assert.equal(await factory.unregister(), { status: 'done' });
    assert.is(begin.size, 0);
    assert.equal(await factory.register(), { status: 'skipped' });
    assert.equal(await factory.unregister(), { status: 'skipped' });
  },
);

server('event contexts keep the original timeout length on the injected clock', async () => {
  const clock = manualClock();
  const seen: (number | undefined)[] = [];
  let factory: RegistryEventFactory | undefined;
  const handler = nseRegistryHandler([
    beginNseServer(),
    {
      name: 'probe',
      register: (entry, ctx, next) => {
        factory ??= nseEventFactoryOf(ctx);
        seen.push(ctx.remainingMs(clock.now()));
        return next.register(entry, ctx);
      },
    },
  ]);
  const scope = withCancel(withClock(bg(), clock), 5000, clock);
  await handler.register(nse('a'), scope.ctx);
  scope.cancel();
  clock.advance(4000);
  assert.equal(await factory!.register(), { status: 'done' });
  assert.equal(seen, [5000, 5000]);
  assert.is(clock.pendingTimers, 0, 'the event context timer is freed when the event ends');
});

server('find passes straight through', async () => {
  const handler = nseRegistryHandler([beginNseServer()], {
    register: async (e) => e,
    unregister: async () => undefined,
    find: () => of({ networkServiceEndpoint: nse('x'), deleted: false }),
  });
  const found = await lastValueFrom(
    handler.find({ networkServiceEndpoint: undefined, watch: false }, bg()).pipe(toArray()),
  );
  assert.is(found.length, 1);
});

server.run();

const client = suite('registry-begin: client and NS');

client(
  'client register merges the response into the stored registration, keeping the name, dropping expiry',
  async () => {
    const s = store();
    const handler = nseRegistryHandler([beginNseClient(), s]);
    const response = await handler.register(nse('a'), bg());
    assert.equal(response.expirationTime, { seconds: 100, nanos: 0 });
    // The refresh event re-sends the stored registration: no expiration time, so the registry sets it anew.
    let sent: NetworkServiceEndpoint | undefined;
    const probe = nseRegistryHandler([
      beginNseClient(),
      {
        name: 'probe',
        register: (e, c, n) => {
          sent = e;
          return n.register(e, c);
        },
      },
      s,
    ]);
    await probe.register(nse('b'), bg());
    await s.factory!.register();
    assert.is(sent?.name, 'b');
    assert.is(sent?.expirationTime, undefined);
  },
);

client('client unregister event sends the last response', async () => {
  const s = store();
  const handler = nseRegistryHandler([beginNseClient(), s]);
  await handler.register(nse('a', 'tcp://h:9'), bg());
  await s.factory!.unregister();
  assert.equal(s.unregistered.at(-1)?.expirationTime, { seconds: 100, nanos: 0 });
});

client('NS begin serializes per name and refuses empty names', async () => {
  const seen: string[] = [];
  for (const begin of [beginNsServer(), beginNsClient()]) {
    const handler = nsRegistryHandler([
      begin,
      {
        name: 'ns-store',
        register: async (ns) => {
          seen.push(ns.payload);
          await new Promise((resolve) => setImmediate(resolve));
          return ns;
        },
      },
    ]);
    await Promise.all(
      ['IP', 'ETHERNET'].map((payload) =>
        handler.register(NetworkService.fromPartial({ name: 'svc', payload }), bg()),
      ),
    );
    await handler.register(NetworkService.fromPartial({ name: '' }), bg()).then(
      () => assert.unreachable('empty NS name accepted'),
      (error: unknown) => assert.is(isStatusError(error) && error.reason, 'REGISTRY_EMPTY_NAME'),
    );
    await handler.unregister(NetworkService.fromPartial({ name: 'svc' }), bg());
    assert.is(begin.size, 0);
  }
  assert.equal(seen, ['IP', 'ETHERNET', 'IP', 'ETHERNET']);
});

client.run();
