import { setMaxListeners } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Observable } from 'rxjs';
import {
  ConnectionEventType,
  PathSegment,
  State,
  type ConnectionEvent,
  type MonitorScopeSelector,
} from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, StatusError } from '../../chain/errors.js';
import { metadataOf } from '../../chain/metadata.js';
import type {} from '../../chain/monitor.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { clientConnectionKey, type PeerConnection } from '../../chain/peer.js';
import { inMemoryPeer, injectError, manualClock } from '../../testing/index.js';
import { beginServer } from '../begin/index.js';
import { metadata } from '../metadata/index.js';
import { eventConsumerOf, monitorServer, type EventConsumer } from './index.js';

const bg = (): CallContext => withClock(CallContext.background(), manualClock());
const req = (id: string, name = id): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id, networkService: 'ns', path: { index: 0, pathSegments: [{ name, id }] } },
  });
const sel = (
  partial: { pathSegments?: Partial<PathSegment>[]; networkServices?: string[] } = {},
): MonitorScopeSelector => ({
  pathSegments: (partial.pathSegments ?? []).map((segment) => ({ ...PathSegment.create(), ...segment })),
  networkServices: partial.networkServices ?? [],
});

/** Subscribes and records every event, plus whether the stream completed. */
function watch(events$: Observable<ConnectionEvent>) {
  const seen: ConnectionEvent[] = [];
  let completed = false;
  const subscription = events$.subscribe({
    next: (e) => seen.push(e),
    complete: () => (completed = true),
  });
  return {
    seen,
    subscription,
    get completed() {
      return completed;
    },
    last: () => seen.at(-1),
    types: () => seen.map((e) => ConnectionEventType[e.type]),
  };
}

/** Captures the monitor's event consumer of each connection. */
function consumers(): NetworkServiceElement & { readonly byId: Map<string, EventConsumer> } {
  const byId = new Map<string, EventConsumer>();
  return {
    name: 'capture-consumer',
    byId,
    request(request, ctx, next) {
      const consumer = eventConsumerOf(ctx);
      if (consumer !== undefined) byId.set(request.connection?.id ?? '', consumer);
      return next.request(request, ctx);
    },
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

// ---------------------------------------------------------------------------------------------------------
const server = suite('monitor server: events and subscriptions');

server(
  'a subscriber gets an (empty) initial state first, then UPDATE and DELETE for matching connections',
  async () => {
    const chain = new AbortController();
    const monitor = monitorServer({ chainSignal: chain.signal });
    const handler = networkServiceHandler([metadata(), monitor]);
    const all = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
    const onlyA = watch(
      monitor.monitorConnections.monitorConnections(sel({ pathSegments: [{ name: 'a' }] }), bg()),
    );
    assert.equal(all.types(), ['INITIAL_STATE_TRANSFER']);
    assert.equal(onlyA.seen[0]?.connections, {});
    const a = await handler.request(req('a'), bg());
    await handler.request(req('b'), bg());
    assert.equal(all.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE', 'UPDATE']);
    assert.equal(onlyA.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE']);
    assert.equal(Object.keys(onlyA.last()?.connections ?? {}), ['a']);
    await handler.close(a, bg());
    assert.equal(onlyA.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE', 'DELETE']);
    assert.is(onlyA.last()?.connections['a']?.path?.pathSegments[0]?.name, 'a');
    const late = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
    assert.equal(
      Object.keys(late.seen[0]?.connections ?? {}),
      ['b'],
      'the initial state is the current view',
    );
    chain.abort();
  },
);

server('selectors naming segment ids match at any position of the path, wildcards included', async () => {
  const chain = new AbortController();
  setMaxListeners(0, chain.signal);
  const monitor = monitorServer({ chainSignal: chain.signal });
  const consumer = consumers();
  const handler = networkServiceHandler([metadata(), monitor, consumer]);
  await handler.request(req('x'), bg());
  const send = consumer.byId.get('x')!;
  const subscribe = (segments: Partial<PathSegment>[]) =>
    watch(monitor.monitorConnections.monitorConnections(sel({ pathSegments: segments }), bg()));
  const second = subscribe([{ id: 'hop-2' }]);
  const run = subscribe([{ name: 'hop-1' }, { id: 'hop-2', name: 'n2' }]);
  const other = subscribe([{ id: 'elsewhere' }]);
  const many = Array.from({ length: 50 }, (_, i) => subscribe([{ id: `conn-${i}` }]));
  const path = {
    index: 1,
    pathSegments: [
      { name: 'hop-0', id: 'hop-0' },
      { name: 'hop-1', id: 'hop-1' },
      { name: 'n2', id: 'hop-2' },
    ].map((segment) => PathSegment.fromPartial(segment)),
  };
  send.send({ type: ConnectionEventType.UPDATE, connections: { y: { ...req('y').connection!, path } } });
  assert.equal(second.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE']);
  assert.equal(run.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE']);
  assert.equal(other.types(), ['INITIAL_STATE_TRANSFER']);
  assert.ok(many.every((w) => w.types().length === 1));
  second.subscription.unsubscribe();
  run.subscription.unsubscribe();
  assert.is(monitor.subscribers, 51);
  chain.abort();
});
server('the initial state is filtered by network service too', async () => {
  const monitor = monitorServer({ chainSignal: new AbortController().signal });
  const handler = networkServiceHandler([metadata(), monitor]);
  await handler.request(req('a'), bg());
  const other = watch(
    monitor.monitorConnections.monitorConnections(sel({ networkServices: ['other'] }), bg()),
  );
  assert.equal(other.seen[0]?.connections, {});
  other.subscription.unsubscribe();
});

server('subscribers get copies: changing a received connection does not change the view', async () => {
  const monitor = monitorServer({ chainSignal: new AbortController().signal });
  const handler = networkServiceHandler([metadata(), monitor]);
  const first = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
  await handler.request(req('a'), bg());
  first.last()!.connections['a']!.networkService = 'changed';
  const second = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
  assert.is(second.seen[0]?.connections['a']?.networkService, 'ns');
  first.subscription.unsubscribe();
  second.subscription.unsubscribe();
});

server('a stream completes when its ctx aborts or the chain signal aborts; unsubscribing detaches it', () => {
  const chain = new AbortController();
  const monitor = monitorServer({ chainSignal: chain.signal });
  const call = new AbortController();
  const byCtx = watch(
    monitor.monitorConnections.monitorConnections(sel(), CallContext.of({ signal: call.signal })),
  );
  const byChain = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
  const byUnsubscribe = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
  assert.is(monitor.subscribers, 3);
  byUnsubscribe.subscription.unsubscribe();
  assert.is(monitor.subscribers, 2);
  call.abort();
  assert.ok(byCtx.completed);
  assert.not.ok(byChain.completed);
  chain.abort();
  assert.ok(byChain.completed);
  assert.is(monitor.subscribers, 0);
  const after = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
  assert.ok(after.completed, 'a subscription after the chain ended completes at once');
  assert.equal(after.seen, []);
});

server(
  'an element after monitor can publish events (REFRESH_REQUESTED) through eventConsumerOf',
  async () => {
    const monitor = monitorServer({ chainSignal: new AbortController().signal });
    const captured = consumers();
    const handler = networkServiceHandler([metadata(), monitor, captured]);
    const w = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
    const a = await handler.request(req('a'), bg());
    captured.byId.get('a')!.send({
      type: ConnectionEventType.UPDATE,
      connections: { a: { ...a, state: State.REFRESH_REQUESTED } },
    });
    assert.is(w.last()?.connections['a']?.state, State.REFRESH_REQUESTED);
    captured.byId.get('a')!.send({ type: ConnectionEventType.INITIAL_STATE_TRANSFER, connections: {} });
    assert.is(w.seen.length, 3, 'an INITIAL_STATE_TRANSFER is never re-broadcast');
    assert.is(eventConsumerOf(bg()), undefined);
    w.subscription.unsubscribe();
  },
);

server('events sent by a subscriber while another is delivered keep their order for everyone', async () => {
  const monitor = monitorServer({ chainSignal: new AbortController().signal });
  const captured = consumers();
  const handler = networkServiceHandler([metadata(), monitor, captured]);
  const order: string[][] = [[], []];
  let reacted = false;
  const subs = [0, 1].map((n) =>
    monitor.monitorConnections.monitorConnections(sel(), bg()).subscribe((e) => {
      const c = Object.values(e.connections)[0];
      order[n]!.push(`${ConnectionEventType[e.type]}:${c === undefined ? '' : State[c.state]}`);
      if (n === 0 && e.type === ConnectionEventType.UPDATE && !reacted && c !== undefined) {
        reacted = true;
        captured.byId
          .get('a')!
          .send({ type: ConnectionEventType.UPDATE, connections: { a: { ...c, state: State.DOWN } } });
      }
    }),
  );
  await handler.request(req('a'), bg());
  assert.equal(order[0], ['INITIAL_STATE_TRANSFER:', 'UPDATE:UP', 'UPDATE:DOWN']);
  assert.equal(order[1], order[0]);
  subs.forEach((s) => s.unsubscribe());
});

server.run();

// ---------------------------------------------------------------------------------------------------------
const failures = suite('monitor server: failures');

failures(
  'a failed refresh publishes the connection DOWN; a failed first Request publishes nothing',
  async () => {
    const monitor = monitorServer({ chainSignal: new AbortController().signal });
    const handler = networkServiceHandler([metadata(), monitor, injectError({ requestCalls: [1, 3] })]);
    const w = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
    await handler.request(req('a'), bg()).catch(() => undefined);
    assert.equal(w.types(), ['INITIAL_STATE_TRANSFER']);
    await handler.request(req('a'), bg());
    try {
      await handler.request(req('a'), bg());
      assert.unreachable();
    } catch (error) {
      assert.is((error as Error).message, 'injected error');
    }
    assert.equal(w.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE', 'UPDATE']);
    assert.is(w.last()?.connections['a']?.state, State.DOWN);
    w.subscription.unsubscribe();
  },
);

failures('a failing Close still publishes DELETE and rethrows', async () => {
  const monitor = monitorServer({ chainSignal: new AbortController().signal });
  const handler = networkServiceHandler([
    metadata(),
    monitor,
    injectError({ requestCalls: [], closeCalls: [1] }),
  ]);
  const w = watch(monitor.monitorConnections.monitorConnections(sel(), bg()));
  const a = await handler.request(req('a'), bg());
  await handler.close(a, bg()).then(
    () => assert.unreachable(),
    (error: Error) => assert.is(error.message, 'injected error'),
  );
  assert.equal(w.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE', 'DELETE']);
  w.subscription.unsubscribe();
});

failures('bad options throw ConfigError', () => {
  assert.throws(
    () => monitorServer({} as never),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => monitorServer({ chainSignal: 'x' as never }),
    (e: unknown) => e instanceof ConfigError,
  );
});

failures.run();

// ---------------------------------------------------------------------------------------------------------
// Passthrough: mid (monitor + stand-in dial + forwarding tail) → nse (monitor), in memory.

function standInDial(peer: PeerConnection): NetworkServiceElement {
  return {
    name: 'test-dial',
    request(request, ctx, next) {
      metadataOf(ctx, 'client').set(clientConnectionKey, peer);
      return next.request(request, ctx);
    },
  };
}

/** The last element: forwards to the peer dial stored (what `connect` does). */
const forward: NetworkServiceElement = {
  name: 'test-forward',
  request: (request, ctx) =>
    metadataOf(ctx, 'client').get(clientConnectionKey)!.networkService.request(request, ctx),
  close: (connection, ctx) =>
    metadataOf(ctx, 'client').get(clientConnectionKey)!.networkService.close(connection, ctx),
};

function topology() {
  const chain = new AbortController();
  const nseMonitor = monitorServer({ chainSignal: chain.signal });
  const nseConsumers = consumers();
  const nse = networkServiceHandler([beginServer(), metadata(), nseMonitor, nseConsumers]);
  const link = inMemoryPeer(nse, nseMonitor.monitorConnections);
  const midMonitor = monitorServer({ chainSignal: chain.signal });
  const mid = networkServiceHandler([beginServer(), metadata(), midMonitor, standInDial(link.peer), forward]);
  return { chain, mid, midMonitor, nseConsumers, link };
}

const passthrough = suite('monitor server: passthrough of next-hop events');

passthrough(
  'the next hop is watched for the current segment; its REFRESH_REQUESTED is re-published',
  async () => {
    const t = topology();
    const up = watch(t.midMonitor.monitorConnections.monitorConnections(sel(), bg()));
    const c1 = await t.mid.request(req('c1', 'nsc'), bg());
    await flush();
    assert.equal(
      t.link.stats.selectors[0]?.pathSegments.map((s) => [s.id, s.name]),
      [['c1', 'nsc']],
    );
    assert.is(t.link.stats.open, 1);
    assert.equal(up.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE'], 'the unchanged initial state is skipped');
    t.nseConsumers.byId.get('c1')!.send({
      type: ConnectionEventType.UPDATE,
      connections: { c1: { ...c1, state: State.REFRESH_REQUESTED } },
    });
    assert.equal(up.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE', 'UPDATE']);
    assert.is(up.last()?.connections['c1']?.state, State.REFRESH_REQUESTED);
    assert.is(up.last()?.connections['c1']?.path?.index, 0);
    t.chain.abort();
    assert.is(t.link.stats.open, 0, 'the chain signal ends the loop');
  },
);

passthrough('a failing next-hop stream is reported as DOWN once, and the loop stops', async () => {
  const t = topology();
  const up = watch(t.midMonitor.monitorConnections.monitorConnections(sel(), bg()));
  await t.mid.request(req('c1', 'nsc'), bg());
  t.link.fail(new StatusError(Code.UNAVAILABLE, 'gone'));
  assert.equal(up.types(), ['INITIAL_STATE_TRANSFER', 'UPDATE', 'UPDATE']);
  assert.is(up.last()?.connections['c1']?.state, State.DOWN);
  assert.is(t.link.stats.open, 0);
  t.chain.abort();
});

passthrough('a refresh replaces the loop; Close ends it and publishes DELETE', async () => {
  const t = topology();
  const up = watch(t.midMonitor.monitorConnections.monitorConnections(sel(), bg()));
  const c1 = await t.mid.request(req('c1', 'nsc'), bg());
  await t.mid.request(req('c1', 'nsc'), bg());
  assert.is(t.link.stats.open, 1);
  assert.is(t.link.stats.selectors.length, 2);
  await t.mid.close(c1, bg());
  assert.is(t.link.stats.open, 0);
  assert.is(up.last()?.type, ConnectionEventType.DELETE);
  t.link.fail(new Error('late'));
  assert.is(up.last()?.type, ConnectionEventType.DELETE, 'no DOWN after Close');
  t.chain.abort();
});

passthrough('a next-hop DELETE (its connection closed behind our back) is re-published as DOWN', async () => {
  const t = topology();
  const up = watch(t.midMonitor.monitorConnections.monitorConnections(sel(), bg()));
  const c1 = await t.mid.request(req('c1', 'nsc'), bg());
  t.nseConsumers.byId.get('c1')!.send({ type: ConnectionEventType.DELETE, connections: { c1 } });
  assert.is(up.last()?.type, ConnectionEventType.UPDATE);
  assert.is(up.last()?.connections['c1']?.state, State.DOWN);
  t.chain.abort();
});

passthrough.run();
