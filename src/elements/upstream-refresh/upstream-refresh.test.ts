import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionEventType, State, type Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { metadataOf } from '../../chain/metadata.js';
import type {} from '../../chain/monitor.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { clientConnectionKey, type PeerConnection } from '../../chain/peer.js';
import { inMemoryPeer, checkContext, manualClock } from '../../testing/index.js';
import { beginClient, beginServer } from '../begin/index.js';
import { metadata } from '../metadata/index.js';
import { eventConsumerOf, monitorServer, type EventConsumer } from '../monitor/index.js';
import { localNotifierOf, upstreamRefreshClient, type LocalNotifier } from './index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

const req = (id: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id, networkService: 'ns', path: { index: 0, pathSegments: [{ name: 'nsc', id }] } },
  });

/** The NSE: counts Requests per connection and hands out its monitor's event consumers. */
function endpoint(chainSignal: AbortSignal) {
  const requests = new Map<string, number>();
  const consumers = new Map<string, EventConsumer>();
  const monitor = monitorServer({ chainSignal });
  const recorder: NetworkServiceElement = {
    name: 'recorder',
    async request(request, ctx, next) {
      const id = request.connection?.id ?? '';
      requests.set(id, (requests.get(id) ?? 0) + 1);
      const consumer = eventConsumerOf(ctx);
      if (consumer !== undefined) consumers.set(id, consumer);
      return next.request(request, ctx);
    },
  };
  const handler = networkServiceHandler([beginServer(), metadata(), monitor, recorder]);
  /** Asks the client of `connection` to refresh, as an NSE does after a change (MTU, routes). */
  const askRefresh = (connection: Connection, state = State.REFRESH_REQUESTED): void =>
    consumers.get(connection.id)!.send({
      type: ConnectionEventType.UPDATE,
      connections: { [connection.id]: { ...connection, state } },
    });
  return { requests, monitor, handler, askRefresh };
}

function setup(localNotifications = false, extra: NetworkServiceElement[] = []) {
  const clock = manualClock();
  const chain = new AbortController();
  const nse = endpoint(chain.signal);
  const link = inMemoryPeer(nse.handler, nse.monitor.monitorConnections);
  const element = upstreamRefreshClient({ chainSignal: chain.signal, localNotifications });
  const dial: NetworkServiceElement = {
    name: 'test-dial',
    request(request, ctx, next) {
      metadataOf(ctx, 'client').set(clientConnectionKey, link.peer);
      return next.request(request, ctx);
    },
  };
  const connect: NetworkServiceElement = {
    name: 'test-connect',
    request: (request, ctx) => link.peer.networkService.request(request, ctx),
    close: (connection, ctx) => link.peer.networkService.close(connection, ctx),
  };
  const client = networkServiceHandler([beginClient(), metadata(), dial, element, ...extra, connect]);
  const ctx = withClock(CallContext.background(), clock);
  return { clock, chain, nse, link, element, client, ctx };
}

// ---------------------------------------------------------------------------------------------------------
const upstream = suite('upstream-refresh: refresh requested by the next hop');

upstream('REFRESH_REQUESTED from the next hop re-requests the connection, once per request', async () => {
  const s = setup();
  const c1 = await s.client.request(req('c1'), s.ctx);
  assert.equal(
    s.link.stats.selectors[0]?.pathSegments.map((p) => [p.id, p.name]),
    [['c1', 'nsc']],
  );
  s.nse.askRefresh(c1);
  await flush();
  assert.is(s.nse.requests.get('c1'), 2);
  assert.is(s.link.stats.open, 1, 'the re-request watches again');
  s.nse.askRefresh(c1);
  await flush();
  assert.is(s.nse.requests.get('c1'), 3, 'the new loop handles the next request');
  s.chain.abort();
  assert.is(s.link.stats.open, 0);
});

upstream('other states (DOWN) and a failing stream do not refresh; the loop then ends', async () => {
  const s = setup();
  const c1 = await s.client.request(req('c1'), s.ctx);
  s.nse.askRefresh(c1, State.DOWN);
  await flush();
  assert.is(s.nse.requests.get('c1'), 1);
  s.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  await flush();
  assert.is(s.nse.requests.get('c1'), 1);
  assert.is(s.link.stats.open, 0);
  s.chain.abort();
});

upstream('Close ends the loop; a refresh request after it does nothing', async () => {
  const s = setup();
  const c1 = await s.client.request(req('c1'), s.ctx);
  await s.client.close(c1, s.ctx);
  assert.is(s.link.stats.open, 0);
  s.nse.askRefresh(c1);
  await flush();
  assert.is(s.nse.requests.get('c1'), 1);
  assert.is(s.clock.pendingTimers, 0);
  s.chain.abort();
});

upstream('a refresh by the caller replaces the loop', async () => {
  const s = setup();
  const c1 = await s.client.request(req('c1'), s.ctx);
  await s.client.request(NetworkServiceRequest.fromPartial({ connection: c1 }), s.ctx);
  assert.is(s.link.stats.open, 1);
  assert.is(s.link.stats.selectors.length, 2);
  s.chain.abort();
});

upstream('a next hop whose monitor cannot be asked fails the Request with a reason', async () => {
  const chain = new AbortController();
  const nse = endpoint(chain.signal);
  const broken: PeerConnection = {
    ...inMemoryPeer(nse.handler, nse.monitor.monitorConnections).peer,
    monitorConnection: {
      monitorConnections: () => {
        throw new Error('no stream');
      },
    },
  };
  let closes = 0;
  const client = networkServiceHandler([
    beginClient(),
    metadata(),
    {
      name: 'test-dial',
      request(request, ctx, next) {
        metadataOf(ctx, 'client').set(clientConnectionKey, broken);
        return next.request(request, ctx);
      },
    },
    upstreamRefreshClient({ chainSignal: chain.signal }),
    { name: 'tail', close: async () => void closes++ },
  ]);
  try {
    await client.request(req('c1'), withClock(CallContext.background(), manualClock()));
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
    if (isStatusError(error)) assert.is(error.reason, 'UPSTREAM_REFRESH_MONITOR_FAILED');
  }
  assert.is(closes, 1, 'downstream closed');
  chain.abort();
});

upstream('bad options throw ConfigError', () => {
  assert.throws(
    () => upstreamRefreshClient({} as never),
    (e: unknown) => e instanceof ConfigError,
  );
});

upstream.run();

// ---------------------------------------------------------------------------------------------------------
const local = suite('upstream-refresh: local notifications');

local('with localNotifications, a refresh from upstream refreshes every other connection too', async () => {
  const s = setup(true);
  const c1 = await s.client.request(req('c1'), s.ctx);
  await s.client.request(req('c2'), s.ctx);
  await s.client.request(req('c3'), s.ctx);
  assert.is(s.element.subscribed, 3);
  s.nse.askRefresh(c1);
  await flush();
  assert.equal(
    [...s.nse.requests.entries()],
    [
      ['c1', 2],
      ['c2', 2],
      ['c3', 2],
    ],
  );
  s.chain.abort();
});

local('without it, only the asked connection refreshes', async () => {
  const s = setup(false);
  const c1 = await s.client.request(req('c1'), s.ctx);
  await s.client.request(req('c2'), s.ctx);
  s.nse.askRefresh(c1);
  await flush();
  assert.equal(
    [...s.nse.requests.entries()],
    [
      ['c1', 2],
      ['c2', 1],
    ],
  );
  s.chain.abort();
});

local('a closed connection is unsubscribed and not refreshed', async () => {
  const s = setup(true);
  const c1 = await s.client.request(req('c1'), s.ctx);
  const c2 = await s.client.request(req('c2'), s.ctx);
  await s.client.close(c2, s.ctx);
  assert.is(s.element.subscribed, 1);
  s.nse.askRefresh(c1);
  await flush();
  assert.equal(
    [...s.nse.requests.entries()],
    [
      ['c1', 2],
      ['c2', 1],
    ],
  );
  s.chain.abort();
});

local('the notifier is in client metadata for other elements (localNotifierOf)', async () => {
  const seen: (LocalNotifier | undefined)[] = [];
  const s = setup(true, [checkContext((ctx) => seen.push(localNotifierOf(ctx)))]);
  await s.client.request(req('c1'), s.ctx);
  await s.client.request(req('c2'), s.ctx);
  assert.ok(seen[0] !== undefined);
  seen[0]?.notify('c1');
  await flush();
  assert.equal(
    [...s.nse.requests.entries()],
    [
      ['c1', 1],
      ['c2', 2],
    ],
  );
  assert.is(localNotifierOf(CallContext.background()), undefined);
  const plain = setup(false, [checkContext((ctx) => seen.push(localNotifierOf(ctx)))]);
  await plain.client.request(req('c1'), plain.ctx);
  assert.is(seen.at(-1), undefined);
  s.chain.abort();
  plain.chain.abort();
});

local.run();
