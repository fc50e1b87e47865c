import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Observable, type Subscriber } from 'rxjs';
import {
  Connection,
  ConnectionEventType,
  MonitorScopeSelector,
  State,
  type ConnectionEvent,
} from './gen/connection.js';
import { outgoingMetadataOf, withOutgoingHeaders } from '../chain/call-metadata.js';
import { withCancel } from '../chain/cancel.js';
import { CallContext } from '../chain/context.js';
import { Code, StatusError } from '../chain/errors.js';
import { sharedMonitor } from './shared-monitor.js';

/** A peer whose streams the test drives by hand. */
function fakePeer() {
  const streams: { selector: MonitorScopeSelector; ctx: CallContext; out: Subscriber<ConnectionEvent> }[] =
    [];
  const open = () => streams.filter((s) => !s.out.closed);
  return {
    streams,
    open,
    handler: {
      monitorConnections: (selector: MonitorScopeSelector, ctx: CallContext) =>
        new Observable<ConnectionEvent>((out) => {
          streams.push({ selector, ctx, out });
        }),
    },
  };
}

/** A connection as the peer (next hop, index 1) holds it; our segment is index 0, named `nsmgr`. */
const conn = (id: string, state = 0): Connection =>
  Connection.fromPartial({
    id: `${id}-peer`,
    state,
    path: {
      index: 1,
      pathSegments: [
        { name: 'nsmgr', id },
        { name: 'fwd', id: `${id}-peer` },
      ],
    },
  });
const event = (type: ConnectionEventType, ...connections: Connection[]): ConnectionEvent => ({
  type,
  connections: Object.fromEntries(connections.map((c) => [c.id, c])),
});
const follow = (id: string) => MonitorScopeSelector.fromPartial({ pathSegments: [{ id, name: 'nsmgr' }] });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function collect(
  handler: ReturnType<typeof sharedMonitor>,
  selector: MonitorScopeSelector,
  ctx = CallContext.background(),
) {
  const got: ConnectionEvent[] = [];
  const state = { error: undefined as unknown, done: false };
  const subscription = handler.monitorConnections(selector, ctx).subscribe({
    next: (e) => got.push(e),
    error: (e: unknown) => (state.error = e),
    complete: () => (state.done = true),
  });
  return {
    got,
    state,
    subscription,
    ids: () => got.map((e) => [e.type, Object.keys(e.connections)]),
    /** `INITIAL:DOWN`-style: each event's type and its connections' states. */
    states: () =>
      got.map(
        (e) =>
          `${e.type === ConnectionEventType.INITIAL_STATE_TRANSFER ? 'INITIAL' : ConnectionEventType[e.type]}:` +
          Object.values(e.connections)
            .map((c) => State[c.state])
            .join(),
      ),
  };
}

/** A mux whose shared stream for `nsmgr` is open (another connection follows it) and has its initial state. */
function openStream() {
  const peer = fakePeer();
  const mux = sharedMonitor(peer.handler);
  collect(mux, follow('z'));
  const out = peer.streams[0]!.out;
  out.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER));
  return { mux, out };
}

const shared = suite('sharedMonitor');

shared(
  'followers of one segment name share a stream asking for the name alone; each sees its own',
  async () => {
    const peer = fakePeer();
    const mux = sharedMonitor(peer.handler);
    const a = collect(mux, follow('a'));
    const b = collect(mux, follow('b'));
    assert.is(peer.streams.length, 1);
    assert.equal(MonitorScopeSelector.toJSON(peer.streams[0]!.selector), {
      pathSegments: [{ name: 'nsmgr' }],
    });
    const out = peer.streams[0]!.out;
    out.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, conn('a'), conn('other')));
    assert.equal(a.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, ['a-peer']]]);
    assert.equal(
      b.ids(),
      [[ConnectionEventType.INITIAL_STATE_TRANSFER, []]],
      'an empty initial state, as Go sends',
    );
    out.next(event(ConnectionEventType.UPDATE, conn('b', 1)));
    out.next(event(ConnectionEventType.DELETE, conn('a')));
    assert.equal(a.ids().slice(1), [[ConnectionEventType.DELETE, ['a-peer']]]);
    assert.equal(b.ids().slice(1), [[ConnectionEventType.UPDATE, ['b-peer']]]);
    a.subscription.unsubscribe();
    b.subscription.unsubscribe();
    assert.is(peer.open().length, 1, 'the stream stays for the next follower');
    assert.is(mux.streams, 1);
    mux.close();
    assert.is(peer.open().length, 0, 'closing the channel ends a stream nobody follows');
    assert.is(mux.streams, 0);
  },
);

shared('a late follower gets what the stream saw of its connection as its initial state', async () => {
  const peer = fakePeer();
  const mux = sharedMonitor(peer.handler);
  const first = collect(mux, follow('first'));
  const out = peer.streams[0]!.out;
  out.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER));
  out.next(event(ConnectionEventType.UPDATE, conn('late', 2)));
  out.next(event(ConnectionEventType.UPDATE, conn('gone')));
  out.next(event(ConnectionEventType.DELETE, conn('gone')));
  const late = collect(mux, follow('late'));
  const gone = collect(mux, follow('gone'));
  assert.equal(late.got, [], 'not synchronously');
  await tick();
  assert.equal(late.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, ['late-peer']]]);
  assert.is(late.got[0]!.connections['late-peer']!.state, 2);
  assert.equal(gone.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, []]], 'a deleted one is not there');
  assert.is(peer.streams.length, 1);
  assert.equal(first.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, []]]);
  mux.close();
  assert.is(peer.open().length, 1, 'followed: stays open');
  for (const f of [first, late, gone]) f.subscription.unsubscribe();
  assert.is(peer.open().length, 0, 'the last follower of a closed channel ends it');
});

shared('selectors that do not name one connection by {id, name} get a stream of their own', () => {
  const peer = fakePeer();
  const mux = sharedMonitor(peer.handler);
  const selectors = [
    MonitorScopeSelector.create(),
    MonitorScopeSelector.fromPartial({ pathSegments: [{ name: 'nsmgr' }] }),
    MonitorScopeSelector.fromPartial({ pathSegments: [{ id: 'x' }] }),
    MonitorScopeSelector.fromPartial({
      pathSegments: [
        { id: 'x', name: 'n' },
        { id: 'y', name: 'm' },
      ],
    }),
    MonitorScopeSelector.fromPartial({ pathSegments: [{ id: 'x', name: 'n' }], networkServices: ['s'] }),
    MonitorScopeSelector.fromPartial({ pathSegments: [{ id: 'x', name: 'n', token: 't' }] }),
  ];
  for (const selector of selectors) collect(mux, selector);
  assert.equal(
    peer.streams.map((s) => s.selector),
    selectors,
  );
  assert.is(mux.streams, 0);
});

shared('a peer that refuses the name-only selector is asked per connection from then on', () => {
  const peer = fakePeer();
  const mux = sharedMonitor(peer.handler);
  const a = collect(mux, follow('a'));
  const b = collect(mux, follow('b'));
  peer.streams[0]!.out.error(new StatusError(Code.PERMISSION_DENIED, 'owns none'));
  assert.is(a.state.error, undefined, 'followers do not see the refusal');
  const later = collect(mux, follow('c'));
  assert.equal(
    peer.streams.slice(1).map((s) => s.selector),
    [follow('a'), follow('b'), follow('c')],
  );
  peer.streams[1]!.out.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, conn('a')));
  assert.equal(a.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, ['a-peer']]]);
  for (const f of [a, b, later]) f.subscription.unsubscribe();
  assert.is(peer.open().length, 0);
});

shared('a stream that fails once open fails every follower; the next follower opens a new one', () => {
  const peer = fakePeer();
  const mux = sharedMonitor(peer.handler);
  const a = collect(mux, follow('a'));
  const b = collect(mux, follow('b'));
  peer.streams[0]!.out.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER));
  const broken = new StatusError(Code.UNAVAILABLE, 'peer died');
  peer.streams[0]!.out.error(broken);
  assert.is(a.state.error, broken);
  assert.is(b.state.error, broken);
  assert.is(mux.streams, 0);
  const c = collect(mux, follow('c'));
  assert.is(peer.streams.length, 2);
  assert.equal(peer.streams[1]!.selector.pathSegments[0]!.id, '', 'shared again, not per connection');
  peer.streams[1]!.out.complete();
  assert.ok(c.state.done, 'a stream the peer ends ends its followers');
});

shared(
  "the stream carries the first follower's headers but not its cancellation; a follower's own ends it",
  () => {
    const peer = fakePeer();
    const mux = sharedMonitor(peer.handler);
    const scope = withCancel(withOutgoingHeaders(CallContext.background(), { authorization: 'token-1' }));
    const a = collect(mux, follow('a'), scope.ctx);
    const b = collect(mux, follow('b'));
    const opened = peer.streams[0]!;
    assert.equal(outgoingMetadataOf(opened.ctx), { authorization: ['token-1'] });
    scope.cancel();
    assert.ok(a.state.done, 'its context ending completes the follower');
    assert.not.ok(opened.ctx.signal.aborted, 'the shared stream goes on');
    opened.out.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, conn('a'), conn('b')));
    assert.equal(a.got, []);
    assert.equal(b.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, ['b-peer']]]);
    mux.close();
    b.subscription.unsubscribe();
    assert.ok(opened.ctx.signal.aborted);
  },
);

shared(
  'followers joining later find a state other than UP, however many followed before; an UP one is not kept',
  async () => {
    const { mux, out } = openStream();
    out.next(event(ConnectionEventType.UPDATE, conn('x', State.DOWN)));
    const heal = collect(mux, follow('x'));
    const passthrough = collect(mux, follow('x'));
    await tick();
    for (const f of [heal, passthrough]) assert.equal(f.states(), ['INITIAL:DOWN'], 'each sees the DOWN');
    out.next(event(ConnectionEventType.UPDATE, conn('x', State.UP)));
    const late = collect(mux, follow('x'));
    await tick();
    assert.equal(
      late.states(),
      ['INITIAL:'],
      'UP, received by the others: what every follower holds already',
    );
    out.next(event(ConnectionEventType.UPDATE, conn('x', State.REFRESH_REQUESTED)));
    const later = collect(mux, follow('x'));
    await tick();
    assert.equal(later.states(), ['INITIAL:REFRESH_REQUESTED']);
    assert.equal(heal.states(), ['INITIAL:DOWN', 'UPDATE:UP', 'UPDATE:REFRESH_REQUESTED']);
  },
);

shared('a follower gets no event before its initial state, which is the latest', async () => {
  const { mux, out } = openStream();
  out.next(event(ConnectionEventType.UPDATE, conn('x', State.DOWN)));
  const joiner = collect(mux, follow('x'));
  out.next(event(ConnectionEventType.UPDATE, conn('x', State.UP)));
  assert.equal(joiner.states(), []);
  await tick();
  assert.equal(joiner.states(), ['INITIAL:UP']);
});

shared("entries are kept under the peer's key: deleting one leaves another with our segment id", async () => {
  const { mux, out } = openStream();
  const old = Connection.fromPartial({ ...conn('x', State.DOWN), id: 'old' });
  const fresh = Connection.fromPartial({ ...conn('x', State.DOWN), id: 'new' });
  out.next(event(ConnectionEventType.UPDATE, old));
  out.next(event(ConnectionEventType.UPDATE, fresh));
  out.next(event(ConnectionEventType.DELETE, old));
  const late = collect(mux, follow('x'));
  await tick();
  assert.equal(late.ids(), [[ConnectionEventType.INITIAL_STATE_TRANSFER, ['new']]]);
});

shared.run();
