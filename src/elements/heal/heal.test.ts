import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { State, type Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { metadataOf } from '../../chain/metadata.js';
import type {} from '../../chain/monitor.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { clientConnectionKey, type PeerConnection } from '../../chain/peer.js';
import { inMemoryPeer, manualClock, type ManualClock } from '../../testing/index.js';
import { beginClient, beginServer } from '../begin/index.js';
import { metadata } from '../metadata/index.js';
import { eventConsumerOf, monitorServer, type EventConsumer } from '../monitor/index.js';
import { healClient, type HealClientOptions } from './index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

const req = (id = 'c1'): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id, networkService: 'ns', path: { index: 0, pathSegments: [{ name: 'nsc', id }] } },
  });

/** The NSE: records what it is asked, fails Requests while `failing`, hands out its monitor's consumers. */
function endpoint(chainSignal: AbortSignal) {
  const log: string[] = [];
  const consumers = new Map<string, EventConsumer>();
  const monitor = monitorServer({ chainSignal });
  const control = {
    failing: false,
    log,
    consumers,
    monitor,
    handler: undefined as unknown as NetworkServiceHandler,
  };
  const recorder: NetworkServiceElement = {
    name: 'recorder',
    async request(request, ctx, next) {
      log.push(`request ${State[request.connection?.state ?? State.UP]}`);
      if (control.failing) throw new StatusError(Code.UNAVAILABLE, 'nse down');
      const consumer = eventConsumerOf(ctx);
      if (consumer !== undefined) consumers.set(request.connection?.id ?? '', consumer);
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      log.push('close');
      return next.close(connection, ctx);
    },
  };
  control.handler = networkServiceHandler([beginServer(), metadata(), monitor, recorder]);
  return control;
}

/** Stands in for `dial`: puts the peer connection in client metadata. */
function standInDial(peer: PeerConnection | undefined): NetworkServiceElement {
  return {
    name: 'test-dial',
    request(request, ctx, next) {
      if (peer !== undefined) metadataOf(ctx, 'client').set(clientConnectionKey, peer);
      return next.request(request, ctx);
    },
  };
}

/** Stands in for `connect`: calls the peer. */
function standInConnect(peer: PeerConnection): NetworkServiceElement {
  return {
    name: 'test-connect',
    request: (request, ctx) => peer.networkService.request(request, ctx),
    close: (connection, ctx) => peer.networkService.close(connection, ctx),
  };
}

/** Fails client Requests after heal while `on` (a failure that never reaches the NSE). */
function clientSwitch(): NetworkServiceElement & { on: boolean } {
  const element = {
    name: 'client-switch',
    on: false,
    request: (request: NetworkServiceRequest, ctx: CallContext, next: NetworkServiceHandler) =>
      element.on ? Promise.reject(new Error('client side failure')) : next.request(request, ctx),
  };
  return element;
}

interface Setup {
  readonly failClient: ReturnType<typeof clientSwitch>;
  readonly clock: ManualClock;
  readonly chain: AbortController;
  readonly nse: ReturnType<typeof endpoint>;
  readonly link: ReturnType<typeof inMemoryPeer>;
  readonly client: NetworkServiceHandler;
  readonly ctx: CallContext;
}

function setup(heal: Omit<HealClientOptions, 'chainSignal'> = {}, withPeer = true): Setup {
  const clock = manualClock();
  const chain = new AbortController();
  const nse = endpoint(chain.signal);
  const link = inMemoryPeer(nse.handler, nse.monitor.monitorConnections);
  const failClient = clientSwitch();
  const client = networkServiceHandler([
    beginClient(),
    metadata(),
    standInDial(withPeer ? link.peer : undefined),
    healClient({ ...heal, chainSignal: chain.signal }),
    failClient,
    standInConnect(link.peer),
  ]);
  return { failClient, clock, chain, nse, link, client, ctx: withClock(CallContext.background(), clock) };
}

function end(s: Setup): void {
  s.chain.abort();
  assert.is(s.link.stats.open, 0, 'no monitor stream left open');
  assert.is(s.clock.pendingTimers, 0, 'no timer left pending');
}

// ---------------------------------------------------------------------------------------------------------
const control = suite('heal: control plane');

control('watches the next hop for the current segment; a healthy connection is left alone', async () => {
  const s = setup();
  await s.client.request(req(), s.ctx);
  await flush();
  assert.is(s.link.stats.open, 1);
  assert.equal(
    s.link.stats.selectors[0]?.pathSegments.map((p) => [p.id, p.name]),
    [['c1', 'nsc']],
  );
  s.clock.advance(10_000);
  await flush();
  assert.equal(s.nse.log, ['request UP']);
  end(s);
});

control('a failing monitor stream heals with reselect: the old path is closed first', async () => {
  const s = setup();
  await s.client.request(req(), s.ctx);
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'connection reset'));
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
  assert.is(s.link.stats.open, 1, 'the healed connection is watched again');
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'again'));
  await flush();
  assert.equal(s.nse.log.slice(3), ['close', 'request RESELECT_REQUESTED'], 'and heals again');
  end(s);
});

control('our connection reported DOWN (or deleted) by the next hop heals', async () => {
  const s = setup();
  const c1 = await s.client.request(req(), s.ctx);
  s.nse.consumers.get('c1')!.send({ type: 1, connections: { c1: { ...c1, state: State.DOWN } } });
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
  end(s);
});

control('a CANCELLED stream is our own doing: no heal', async () => {
  const s = setup();
  await s.client.request(req(), s.ctx);
  s.link.fail(new StatusError(Code.CANCELLED, 'cancelled'));
  await flush();
  assert.equal(s.nse.log, ['request UP']);
  end(s);
});

control('no next-hop connection in metadata: nothing is watched', async () => {
  const s = setup({}, false);
  await s.client.request(req(), s.ctx);
  assert.is(s.link.stats.selectors.length, 0);
  end(s);
});

control('failed heal attempts are retried every 100 ms on the clock until one works', async () => {
  const s = setup();
  await s.client.request(req(), s.ctx);
  s.nse.failing = true;
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'down'));
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
  assert.is(s.clock.pendingTimers, 1, 'waiting before the next attempt');
  s.clock.advance(99);
  await flush();
  assert.is(s.nse.log.length, 3);
  s.clock.advance(1);
  await flush();
  // The NSE already forgot the connection, so the reselect's Close does not reach it.
  assert.equal(s.nse.log.slice(3), ['request RESELECT_REQUESTED'], 'the second attempt');
  s.nse.failing = false;
  s.clock.advance(100);
  await flush();
  assert.equal(s.nse.log.slice(4), ['request RESELECT_REQUESTED']);
  s.clock.advance(1000);
  await flush();
  assert.is(s.nse.log.length, 5, 'no attempt after success');
  assert.is(s.link.stats.open, 1);
  end(s);
});

control.run();

// ---------------------------------------------------------------------------------------------------------
const data = suite('heal: data plane (liveness check)');

data('control plane down but data plane alive: the same path is requested again, no reselect', async () => {
  const checked: Connection[] = [];
  const s = setup({
    livenessCheck: async (_ctx, connection) => {
      checked.push(connection);
      return true;
    },
  });
  await s.client.request(req(), s.ctx);
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'nsmgr restarted'));
  await flush();
  assert.equal(s.nse.log, ['request UP', 'request UP']);
  assert.is(checked.at(-1)?.id, 'c1');
  end(s);
});

data('control plane down and data plane dead: reselect', async () => {
  const s = setup({ livenessCheck: async () => false });
  await s.client.request(req(), s.ctx);
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
  end(s);
});

data('the liveness check runs every interval; a dead data plane heals with reselect', async () => {
  let alive = true;
  let checks = 0;
  const s = setup({
    livenessCheckIntervalMs: 500,
    livenessCheck: async () => {
      checks++;
      return alive;
    },
  });
  await s.client.request(req(), s.ctx);
  s.clock.advance(499);
  await flush();
  assert.is(checks, 0);
  s.clock.advance(1);
  await flush();
  assert.is(checks, 1);
  s.clock.advance(500);
  await flush();
  assert.is(checks, 2);
  assert.equal(s.nse.log, ['request UP']);
  alive = false;
  s.clock.advance(500);
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
  end(s);
});

data('a check that does not answer within the timeout, or throws, counts as dead', async () => {
  for (const livenessCheck of [
    () => new Promise<boolean>(() => undefined),
    () => Promise.reject(new Error('ping failed')),
  ]) {
    const s = setup({ livenessCheck, livenessCheckIntervalMs: 200, livenessCheckTimeoutMs: 50 });
    await s.client.request(req(), s.ctx);
    s.clock.advance(200);
    await flush();
    s.clock.advance(50);
    await flush();
    assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
    end(s);
  }
});

data.run();

// ---------------------------------------------------------------------------------------------------------
const lifecycle = suite('heal: refresh, close and chain end');

lifecycle('a refresh replaces the watch (one stream open)', async () => {
  const s = setup({ livenessCheck: async () => true });
  const c1 = await s.client.request(req(), s.ctx);
  await s.client.request(NetworkServiceRequest.fromPartial({ connection: c1 }), s.ctx);
  assert.is(s.link.stats.open, 1);
  assert.is(s.clock.pendingTimers, 1, 'one liveness timer');
  end(s);
});

lifecycle('a failed refresh keeps watching the old connection, so it still heals', async () => {
  const s = setup();
  const c1 = await s.client.request(req(), s.ctx);
  s.failClient.on = true;
  await s.client.request(NetworkServiceRequest.fromPartial({ connection: c1 }), s.ctx).then(
    () => assert.unreachable(),
    (error: Error) => assert.is(error.message, 'client side failure'),
  );
  await flush();
  assert.is(s.link.stats.open, 1);
  assert.equal(s.nse.log, ['request UP']);
  s.failClient.on = false;
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
  end(s);
});

lifecycle('a refresh the NSE refuses is reported DOWN by its monitor, which starts a heal', async () => {
  const s = setup();
  const c1 = await s.client.request(req(), s.ctx);
  s.nse.failing = true;
  await s.client.request(NetworkServiceRequest.fromPartial({ connection: c1 }), s.ctx).then(
    () => assert.unreachable(),
    (error: unknown) => assert.ok(isStatusError(error) && error.code === Code.UNAVAILABLE),
  );
  s.nse.failing = false;
  await flush();
  assert.equal(s.nse.log, ['request UP', 'request UP', 'close', 'request RESELECT_REQUESTED']);
  end(s);
});

lifecycle('Close stops watching: later stream failures do nothing', async () => {
  const s = setup({ livenessCheck: async () => false });
  const c1 = await s.client.request(req(), s.ctx);
  await s.client.close(c1, s.ctx);
  assert.is(s.link.stats.open, 0);
  assert.is(s.clock.pendingTimers, 0);
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  s.clock.advance(10_000);
  await flush();
  assert.equal(s.nse.log, ['request UP', 'close']);
  end(s);
});

lifecycle(
  'Close during the pause between failed attempts ends the heal: no timer, no further event',
  async () => {
    const s = setup();
    const c1 = await s.client.request(req(), s.ctx);
    s.nse.failing = true;
    s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
    await flush();
    assert.is(s.clock.pendingTimers, 1);
    await s.client.close(c1, s.ctx);
    assert.is(s.clock.pendingTimers, 0);
    s.clock.advance(10_000);
    await flush();
    assert.equal(s.nse.log, ['request UP', 'close', 'request RESELECT_REQUESTED']);
    end(s);
  },
);

lifecycle('a successful refresh during the pause between failed attempts ends the heal', async () => {
  const s = setup();
  const c1 = await s.client.request(req(), s.ctx);
  s.nse.failing = true;
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  await flush();
  assert.is(s.clock.pendingTimers, 1);
  s.nse.failing = false;
  await s.client.request(NetworkServiceRequest.fromPartial({ connection: c1 }), s.ctx);
  assert.is(s.clock.pendingTimers, 0);
  const attempts = s.nse.log.length;
  s.clock.advance(10_000);
  await flush();
  assert.is(s.nse.log.length, attempts);
  assert.is(s.link.stats.open, 1, 'the refreshed connection is watched');
  end(s);
});

lifecycle('aborting the chain signal stops watches and heals in progress', async () => {
  const s = setup({ livenessCheck: async () => true });
  await s.client.request(req('c1'), s.ctx);
  await s.client.request(req('c2'), s.ctx);
  assert.is(s.link.stats.open, 2);
  s.nse.failing = true;
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  await flush();
  s.chain.abort();
  s.clock.advance(10_000);
  await flush();
  const attempts = s.nse.log.length;
  s.clock.advance(10_000);
  await flush();
  assert.is(s.nse.log.length, attempts);
  end(s);
});

lifecycle('bad options throw ConfigError', () => {
  const signal = new AbortController().signal;
  const bad: unknown[] = [
    {},
    { chainSignal: signal, livenessCheck: 'yes' },
    { chainSignal: signal, livenessCheckIntervalMs: 0 },
    { chainSignal: signal, livenessCheckTimeoutMs: -1 },
    { chainSignal: signal, livenessCheckIntervalMs: Number.NaN },
  ];
  for (const options of bad) {
    assert.throws(
      () => healClient(options as HealClientOptions),
      (e: unknown) => e instanceof ConfigError,
    );
  }
});

lifecycle('a next hop whose monitor cannot be asked fails the Request and closes downstream', async () => {
  const s = setup();
  const broken: PeerConnection = {
    ...s.link.peer,
    monitorConnection: {
      monitorConnections: () => {
        throw new Error('no stream');
      },
    },
  };
  const client = networkServiceHandler([
    beginClient(),
    metadata(),
    standInDial(broken),
    healClient({ chainSignal: s.chain.signal }),
    standInConnect(broken),
  ]);
  try {
    await client.request(req(), s.ctx);
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
    if (isStatusError(error)) {
      assert.is(error.reason, 'HEAL_MONITOR_FAILED');
      assert.is(error.code, Code.UNAVAILABLE);
    }
  }
  assert.equal(s.nse.log, ['request UP', 'close']);
  end(s);
});

lifecycle.run();
