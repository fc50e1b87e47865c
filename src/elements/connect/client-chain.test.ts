// The client chain of NSM's chains/client (semantics §3.2) and the nsmgr's connect server wrapping a client
// (§3.3 item 15), composed from the real elements over in-memory peers and a manual clock. updatepath,
// updatetoken and discovery are stand-ins; heal, authorize and trimpath are left out.
import { EMPTY } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, PathSegment } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { cloneMessage } from '../../api/clone.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { withClientUrl } from '../../chain/client-url.js';
import { clockOf, withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import type { Dialer, PeerConnection } from '../../chain/peer.js';
import { nseRegistryTail, nsRegistryTail } from '../../chain/registry.js';
import { count, injectError, manualClock, withContext } from '../../testing/index.js';
import { beginClient, beginServer } from '../begin/index.js';
import { clientConn } from '../client-conn/index.js';
import { clientUrl } from '../client-url/index.js';
import { dial } from '../dial/index.js';
import { metadata } from '../metadata/index.js';
import { refreshClient } from '../refresh/index.js';
import { retryClient } from '../retry/index.js';
import { timeoutServer } from '../timeout/index.js';
import { connectClient, connectServer } from './index.js';

const second = 1000;
const minute = 60 * second;
const tokenMs = 15 * minute;
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** In-memory network: each URL is a server handler; every dial and close() is counted. */
function memoryNet(servers: Readonly<Record<string, NetworkServiceHandler>>) {
  const peers: (PeerConnection & { closes: number })[] = [];
  const dialer: Dialer = (url) => {
    const server = servers[url];
    if (server === undefined) throw new StatusError(Code.INVALID_ARGUMENT, `no server at ${url}`);
    // What the server edge gives a handler: the caller's signal and deadline, none of its values.
    const wire = (ctx: CallContext): CallContext =>
      withClock(CallContext.of({ signal: ctx.signal, deadline: ctx.deadline }), clockOf(ctx));
    const closed = (): Promise<never> => Promise.reject(new StatusError(Code.UNAVAILABLE, `${url}: closed`));
    const peer = {
      url,
      closes: 0,
      networkService: {
        request: (r: NetworkServiceRequest, ctx: CallContext) =>
          peer.closes > 0 ? closed() : server.request(cloneMessage(r), wire(ctx)),
        close: (c: Connection, ctx: CallContext) =>
          peer.closes > 0 ? closed() : server.close(cloneMessage(c), wire(ctx)),
      },
      monitorConnection: { monitorConnections: () => EMPTY },
      nsRegistry: nsRegistryTail,
      nseRegistry: nseRegistryTail,
      close() {
        peer.closes++;
      },
    };
    peers.push(peer);
    return peer;
  };
  return {
    dialer,
    dials: () => peers.length,
    open: () => peers.filter((p) => p.closes === 0).length,
    closedTwice: () => peers.filter((p) => p.closes > 1).length,
  };
}

/** Stand-in for updatePathClient: the client's own segment at index 0. */
const updatePathClientStandIn: NetworkServiceElement = {
  name: 'updatepath (stand-in)',
  request(request, ctx, next) {
    const connection = request.connection ?? Connection.create();
    if ((connection.path?.pathSegments.length ?? 0) > 0) return next.request(request, ctx);
    const path = { index: 0, pathSegments: [PathSegment.fromPartial({ name: 'nsc', id: connection.id })] };
    return next.request({ ...request, connection: { ...connection, path } }, ctx);
  },
};

/**
 * Stand-in for a server's updatepath + updatetoken: adds this hop's segment after the caller's, both expiring
 * `tokenMs` from now; the caller gets its own index and id back.
 */
function updatePathServerStandIn(name: string): NetworkServiceElement {
  const inward = (connection: Connection, index: number): Connection => ({
    ...connection,
    id: `${connection.id}-${name}`,
    path: { index: index + 1, pathSegments: connection.path?.pathSegments ?? [] },
  });
  return {
    name: 'updatepath+updatetoken (stand-in)',
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      const index = connection.path?.index ?? 0;
      const expires = timestampFromMs(clockOf(ctx).now() + tokenMs);
      const segments = (connection.path?.pathSegments ?? []).slice(0, index + 1);
      segments[index] = { ...(segments[index] ?? PathSegment.create()), expires };
      segments.push(PathSegment.fromPartial({ name, id: `${connection.id}-${name}`, expires }));
      const inner = { ...inward(connection, index), path: { index: index + 1, pathSegments: segments } };
      const returned = await next.request({ ...request, connection: inner }, ctx);
      return {
        ...returned,
        id: connection.id,
        path: { index, pathSegments: returned.path?.pathSegments ?? [] },
      };
    },
    close(connection, ctx, next) {
      return next.close(inward(connection, connection.path?.index ?? 0), ctx);
    },
  };
}

function endpoint(chainSignal: AbortSignal) {
  const counter = count();
  const handler = networkServiceHandler([
    updatePathServerStandIn('nse'),
    beginServer(),
    metadata(),
    timeoutServer({ chainSignal }),
    counter,
  ]);
  return { counter, handler };
}

/** NSM chains/client order; heal, authorize and trimpath left out. */
function nsc(net: ReturnType<typeof memoryNet>, chainSignal: AbortSignal, url: string) {
  const counter = count();
  const dialElement = dial({ dialer: net.dialer, chainSignal });
  const client = retryClient(
    networkServiceHandler([
      updatePathClientStandIn, // 1. updatepath
      beginClient(), // 2. begin
      metadata(), // 3. metadata
      refreshClient({ chainSignal }), // 4. refresh
      clientUrl(url), // 5. clienturl
      clientConn(undefined), // 6. clientconn (none)
      // 7. heal: not part of this test
      dialElement, // 8. dial
      counter, // 9. additional functionality
      // 10. authorize, 11. trimpath: not part of this test
      connectClient(), // 12. connect
    ]),
  );
  return { client, counter, dial: dialElement };
}

const request = (id: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id, networkService: 'icmp' } });

// ---------------------------------------------------------------------------------------------------------
const clientChain = suite('client chain: NSC → endpoint');

clientChain(
  'request, refresh every 3 minutes (so the endpoint never expires it), close; nothing left over',
  async () => {
    const clock = manualClock();
    const serverLife = new AbortController();
    const clientLife = new AbortController();
    const nse = endpoint(serverLife.signal);
    const net = memoryNet({ 'tcp://nse:5000': nse.handler });
    const { client, counter, dial: dialElement } = nsc(net, clientLife.signal, 'tcp://nse:5000');
    const ctx = withClock(CallContext.background(), clock);

    const connection = await client.request(request('c1'), ctx);
    assert.is(connection.id, 'c1');
    assert.equal(
      connection.path?.pathSegments.map((s) => s.name),
      ['nsc', 'nse'],
    );
    assert.is(nse.counter.requests, 1);
    assert.is(net.open(), 1);

    clock.advance(179 * second);
    await flush();
    assert.is(nse.counter.requests, 1, 'no refresh before 3 minutes');
    clock.advance(1 * second + 1);
    await flush();
    assert.is(nse.counter.requests, 2, 'refreshed after 3 minutes');
    assert.is(counter.requests, 2);

    for (let i = 0; i < 10; i++) {
      clock.advance(3 * minute);
      await flush();
    }
    assert.is(nse.counter.requests, 12);
    assert.is(nse.counter.closes, 0, 'the endpoint never expired the refreshed connection');
    assert.is(net.open(), 1, 'one live connection to the next hop at a time');

    await client.close(connection, ctx);
    assert.is(nse.counter.closes, 1);
    assert.is(net.open(), 0);
    assert.is(net.closedTwice(), 0);
    assert.is(dialElement.size, 0);
    assert.is(clock.pendingTimers, 0, 'no refresh, expiry, retry or deadline timer left');
    clientLife.abort();
    serverLife.abort();
  },
);

clientChain(
  'a client that stops refreshing is closed by the endpoint at expiry less the request timeout',
  async () => {
    const clock = manualClock();
    const serverLife = new AbortController();
    const clientLife = new AbortController();
    const nse = endpoint(serverLife.signal);
    const net = memoryNet({ 'tcp://nse:5000': nse.handler });
    const { client } = nsc(net, clientLife.signal, 'tcp://nse:5000');
    await client.request(request('c1'), withClock(CallContext.background(), clock));

    clientLife.abort(); // the client process goes away: refresh stops, its connections close
    assert.is(net.open(), 0);
    // retry gave the Request a 15 s deadline, so the endpoint closes 15 s before the token expires.
    clock.advance(tokenMs - 15 * second - 1);
    await flush();
    assert.is(nse.counter.closes, 0);
    clock.advance(1);
    await flush();
    assert.is(nse.counter.closes, 1);
    assert.is(nse.counter.requests, 1);
    assert.is(clock.pendingTimers, 0);
    serverLife.abort();
  },
);

clientChain('an endpoint that is down at first is reached by retry once it answers', async () => {
  const clock = manualClock();
  const life = new AbortController();
  const nse = endpoint(life.signal);
  const down = injectError({ error: new StatusError(Code.UNAVAILABLE, 'down'), requestCalls: [1, 2] });
  const net = memoryNet({ 'tcp://nse:5000': networkServiceHandler([down], nse.handler) });
  const { client, dial: dialElement } = nsc(net, life.signal, 'tcp://nse:5000');
  const pending = client.request(request('c1'), withClock(CallContext.background(), clock));
  for (let i = 0; i < 3; i++) {
    await flush();
    clock.advance(200);
  }
  const connection = await pending;
  assert.is(nse.counter.requests, 1);
  assert.is(net.dials(), 3, 'each attempt dialed afresh');
  assert.is(net.open(), 1, 'the failed attempts closed their connections');
  await client.close(connection, withClock(CallContext.background(), clock));
  assert.is(dialElement.size, 0);
  assert.is(net.open(), 0);
  assert.is(clock.pendingTimers, 0);
  life.abort();
});

clientChain.run();

// ---------------------------------------------------------------------------------------------------------
const nsmgr = suite('client chain: connectServer wrapping a client (nsmgr)');

function nsmgrChain(net: ReturnType<typeof memoryNet>, after: NetworkServiceElement) {
  const dialElement = dial({ dialer: net.dialer });
  const innerBegin = beginClient();
  const inner = networkServiceHandler([
    innerBegin,
    metadata(),
    clientUrl(undefined),
    clientConn(undefined),
    dialElement,
    connectClient(),
  ]);
  const serverMetadata = metadata();
  const handler = networkServiceHandler([
    beginServer(),
    serverMetadata,
    withContext((ctx) => withClientUrl(ctx, 'tcp://fwd:5001')), // discoverforwarder stand-in
    connectServer(inner),
    after,
  ]);
  return { handler, dial: dialElement, innerBegin, serverMetadata };
}

nsmgr(
  'forwards the Request to the URL discovery chose, and the Close; the inner client shares the server state',
  async () => {
    const forwarder = count();
    const net = memoryNet({ 'tcp://fwd:5001': networkServiceHandler([forwarder]) });
    const after = count();
    const m = nsmgrChain(net, after);
    const connection = await m.handler.request(request('c1'), CallContext.background());
    assert.is(connection.id, 'c1');
    assert.is(forwarder.requests, 1);
    assert.is(after.requests, 1);
    assert.is(m.innerBegin.size, 0, 'the inner begin passes through inside a server begin');
    assert.is(m.dial.size, 1);
    await m.handler.request(request('c1'), CallContext.background());
    assert.is(net.open(), 1);
    await m.handler.close(connection, CallContext.background());
    assert.is(forwarder.closes, 1);
    assert.is(after.closes, 1);
    assert.is(m.dial.size, 0);
    assert.is(m.serverMetadata.size, 0);
    assert.is(net.open(), 0);
    assert.is(net.closedTwice(), 0);
  },
);

nsmgr(
  'when the server side after connect fails, the forwarded connection is closed and nothing leaks',
  async () => {
    const forwarder = count();
    const net = memoryNet({ 'tcp://fwd:5001': networkServiceHandler([forwarder]) });
    const m = nsmgrChain(net, injectError());
    try {
      await m.handler.request(request('c1'), CallContext.background());
      assert.unreachable('should fail');
    } catch (error) {
      assert.is((error as Error).message, 'injected error');
    }
    assert.is(forwarder.requests, 1);
    assert.is(forwarder.closes, 1);
    assert.is(m.dial.size, 0);
    assert.is(m.serverMetadata.size, 0);
    assert.is(net.open(), 0);
    assert.is(net.closedTwice(), 0);
  },
);

nsmgr.run();
