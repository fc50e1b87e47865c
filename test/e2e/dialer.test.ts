import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { grpcDialer } from '../../src/api/peer.js';
import { serve } from '../../src/api/server.js';
import { CallContext } from '../../src/chain/context.js';
import { Code, isStatusError } from '../../src/chain/errors.js';
import { networkServiceHandler } from '../../src/chain/network-service.js';
import { count } from '../../src/testing/index.js';
import { Connection, ConnectionEventType, State } from '../../src/api/gen/connection.js';
import { ConnectionMonitor } from '../../src/elements/monitor/connection-monitor.js';
import { followConnection, nextHopSelector } from '../../src/elements/monitor/index.js';
import { eventually } from '../acceptance/fixtures.js';

const dialer = suite('grpcDialer: shared channels');
const request = NetworkServiceRequest.fromPartial({ connection: { id: 'c1' } });
const bg = (): CallContext => CallContext.background();

dialer(
  'connections to one URL share a channel; a peer restart is reached again after UNAVAILABLE',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsm-dialer-'));
    const url = `unix://${join(dir, 'peer.sock')}`;
    const counter = count();
    let server = await serve(url, { networkService: networkServiceHandler([counter]) });
    const dial = grpcDialer();
    try {
      const a = dial(url);
      const b = dial(url);
      await a.networkService.request(request, bg());
      await b.networkService.request(request, bg());
      assert.is(counter.requests, 2);
      a.close();
      a.close(); // idempotent
      await server.close(0);
      const failure = await b.networkService.request(request, bg()).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(
        isStatusError(failure) && failure.code === Code.UNAVAILABLE,
        'a dead peer answers UNAVAILABLE',
      );
      b.close();
      server = await serve(url, { networkService: networkServiceHandler([counter]) });
      const c = dial(url);
      await c.networkService.request(request, bg());
      assert.is(counter.requests, 3, 'a fresh channel reaches the restarted peer at once');
      c.close();
    } finally {
      dial.closeAll();
      await server.close(0);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

dialer('followers of one segment name share a monitor stream; each sees only its connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsm-dialer-'));
  const url = `unix://${join(dir, 'peer.sock')}`;
  const chain = new AbortController();
  const peerMonitor = new ConnectionMonitor(chain.signal);
  let opened = 0;
  const server = await serve(url, {
    monitorConnection: {
      monitorConnections: (selector, ctx) => {
        opened++;
        return peerMonitor.monitorConnections(selector, ctx);
      },
    },
  });
  const dial = grpcDialer();
  /** The peer's copy of our connection `id`: we are segment 0, named nsmgr; the peer is segment 1. */
  const theirs = (id: string, state = State.UP): Connection =>
    Connection.fromPartial({
      id: `${id}-fwd`,
      state,
      path: {
        index: 1,
        pathSegments: [
          { name: 'nsmgr', id },
          { name: 'fwd', id: `${id}-fwd` },
        ],
      },
    });
  const ours = (id: string): Connection => ({ ...theirs(id), id, path: { ...theirs(id).path!, index: 0 } });
  const publish = (connection: Connection): void =>
    peerMonitor.send({ type: ConnectionEventType.UPDATE, connections: { [connection.id]: connection } });
  try {
    publish(theirs('a'));
    publish(theirs('b'));
    const seen = new Map<string, State[]>();
    const follow = (id: string) => {
      const peer = dial(url);
      const subscription = peer.monitorConnection
        .monitorConnections(nextHopSelector(ours(id)), bg())
        .pipe(followConnection(ours(id)))
        .subscribe((event) => {
          for (const c of Object.values(event.connections))
            seen.set(c.id, [...(seen.get(c.id) ?? []), c.state]);
        });
      return { peer, subscription };
    };
    const a = follow('a');
    const b = follow('b');
    await eventually(() => peerMonitor.subscribers === 1, 2000, 'one stream open at the peer');
    publish(theirs('b', State.DOWN));
    await eventually(() => seen.has('b'), 2000, 'b hears of its DOWN');
    assert.equal(seen.get('b'), [State.DOWN]);
    assert.not.ok(seen.has('a'), 'a hears nothing of b');
    for (const f of [a, b]) {
      f.subscription.unsubscribe();
      f.peer.close();
    }
    publish(theirs('c', State.DOWN));
    const c = follow('c');
    await eventually(() => seen.has('c'), 2000, 'c gets its initial state');
    assert.equal(seen.get('c'), [State.DOWN]);
    assert.is(opened, 1, 'the stream stayed open with the channel: the next follower opened none');
    c.subscription.unsubscribe();
    c.peer.close();
    dial.closeIdle();
    await eventually(() => peerMonitor.subscribers === 0, 2000, 'closing the idle channel ends it');
  } finally {
    dial.closeAll();
    chain.abort();
    await server.close(0);
    rmSync(dir, { recursive: true, force: true });
  }
});

dialer.run();
