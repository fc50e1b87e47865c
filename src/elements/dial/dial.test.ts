import { EMPTY } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { cloneMessage } from '../../api/clone.js';
import { withCancel } from '../../chain/cancel.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import { clockOf, withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, StatusError, isStatusError } from '../../chain/errors.js';
import { metadataOf } from '../../chain/metadata.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { clientConnectionKey, type Dialer, type PeerConnection } from '../../chain/peer.js';
import { nseRegistryTail, nsRegistryTail } from '../../chain/registry.js';
import { checkContext, count, injectError, manualClock, withContext } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { dial } from './index.js';

const req = (id: string): NetworkServiceRequest => NetworkServiceRequest.fromPartial({ connection: { id } });
const conn = (id: string): Connection => Connection.fromPartial({ id });
const bg = (): CallContext => CallContext.background();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

/** One remote side as the test sees it: what arrived, by URL, as `request:<id>` / `close:<id>`. */
interface Net {
  readonly dialer: Dialer;
  readonly log: string[];
  readonly dials: string[];
  readonly peers: (PeerConnection & { closes: number })[];
  /** Peers not closed yet. */
  open(): number;
  /** Peers closed more than once. */
  closedTwice(): number;
}

/**
 * An in-memory network: dialing a URL in `urls` gives a peer whose NetworkService calls run `remote(url)`
 * with a context like the server edge makes (caller's signal and deadline, no caller values); a closed peer
 * answers UNAVAILABLE. Other URLs make the dialer throw, as a bad URL does.
 */
function memoryNet(
  urls: readonly string[],
  options: { ready?: (signal: AbortSignal) => Promise<void> } = {},
): Net {
  const log: string[] = [];
  const dials: string[] = [];
  const peers: (PeerConnection & { closes: number })[] = [];
  const remote = (url: string): NetworkServiceHandler => ({
    request: async (request) => {
      log.push(`${url} request:${request.connection?.id}`);
      return request.connection ?? Connection.create();
    },
    close: async (connection) => {
      log.push(`${url} close:${connection.id}`);
    },
  });
  const dialer: Dialer = (url) => {
    if (!urls.includes(url))
      throw new StatusError(Code.INVALID_ARGUMENT, `bad url ${url}`, { reason: 'URL_INVALID' });
    dials.push(url);
    const server = remote(url);
    const wire = (ctx: CallContext): CallContext =>
      withClock(CallContext.of({ signal: ctx.signal, deadline: ctx.deadline }), clockOf(ctx));
    const unavailable = (): Promise<never> =>
      Promise.reject(new StatusError(Code.UNAVAILABLE, `${url} is closed`));
    const peer = {
      url,
      closes: 0,
      networkService: {
        request: (request: NetworkServiceRequest, ctx: CallContext) =>
          peer.closes > 0 ? unavailable() : server.request(cloneMessage(request), wire(ctx)),
        close: (connection: Connection, ctx: CallContext) =>
          peer.closes > 0 ? unavailable() : server.close(cloneMessage(connection), wire(ctx)),
      },
      monitorConnection: { monitorConnections: () => EMPTY },
      nsRegistry: nsRegistryTail,
      nseRegistry: nseRegistryTail,
      close() {
        peer.closes++;
      },
      ...(options.ready === undefined ? {} : { ready: options.ready }),
    };
    peers.push(peer);
    return peer;
  };
  return {
    dialer,
    log,
    dials,
    peers,
    open: () => peers.filter((p) => p.closes === 0).length,
    closedTwice: () => peers.filter((p) => p.closes > 1).length,
  };
}

/** The last client chain elements: send to the peer in metadata (what connectClient does). */
const sendToPeer: NetworkServiceElement = {
  name: 'send',
  request(request, ctx) {
    const peer = metadataOf(ctx, 'client').get(clientConnectionKey);
    if (peer === undefined) return Promise.reject(new Error('no peer'));
    return peer.networkService.request(request, ctx);
  },
  close(connection, ctx) {
    const peer = metadataOf(ctx, 'client').get(clientConnectionKey);
    if (peer === undefined) return Promise.reject(new Error('no peer'));
    return peer.networkService.close(connection, ctx);
  },
};

/** Sets the client URL from a variable the test changes (as discovery would). */
function urlFrom(current: { url: string | undefined }): NetworkServiceElement {
  return withContext((ctx) => (current.url === undefined ? ctx : withClientUrl(ctx, current.url)));
}

// ---------------------------------------------------------------------------------------------------------
const basics = suite('dial: dialing the URL in the context');

basics('without a URL in the context it passes through and dials nothing', async () => {
  const net = memoryNet(['a']);
  const after = count();
  const handler = networkServiceHandler([metadata(), dial({ dialer: net.dialer }), after]);
  await handler.request(req('1'), bg());
  await handler.close(conn('1'), bg());
  assert.is(after.requests, 1);
  assert.is(after.closes, 1);
  assert.equal(net.dials, []);
});

basics('dials, stores the connection for the rest of the chain, and closes it on Close', async () => {
  const net = memoryNet(['a']);
  const element = dial({ dialer: net.dialer });
  const seen: (PeerConnection | undefined)[] = [];
  const handler = networkServiceHandler([
    metadata(),
    urlFrom({ url: 'a' }),
    element,
    checkContext((ctx) => seen.push(metadataOf(ctx, 'client').get(clientConnectionKey))),
    sendToPeer,
  ]);
  const connection = await handler.request(req('1'), bg());
  assert.is(connection.id, '1');
  assert.equal(net.dials, ['a']);
  assert.is(seen[0], net.peers[0]);
  assert.is(element.size, 1);
  await handler.close(connection, bg());
  assert.equal(net.log, ['a request:1', 'a close:1']);
  assert.is(net.open(), 0);
  assert.is(element.size, 0);
});

basics(
  'each call gets a fresh connection and the previous one is closed (Go re-dials every call)',
  async () => {
    const net = memoryNet(['a']);
    const element = dial({ dialer: net.dialer });
    const handler = networkServiceHandler([metadata(), urlFrom({ url: 'a' }), element, sendToPeer]);
    await handler.request(req('1'), bg());
    await handler.request(req('1'), bg());
    assert.is(net.dials.length, 2);
    assert.is(net.open(), 1);
    assert.is(net.peers[0]?.closes, 1);
    await handler.close(conn('1'), bg());
    assert.is(net.dials.length, 3, 'Close re-dials too');
    assert.is(net.open(), 0);
    assert.is(net.closedTwice(), 0);
    assert.is(element.size, 0);
  },
);

basics('connections of different connection ids are independent', async () => {
  const net = memoryNet(['a']);
  const element = dial({ dialer: net.dialer });
  const handler = networkServiceHandler([metadata(), urlFrom({ url: 'a' }), element, sendToPeer]);
  await handler.request(req('1'), bg());
  await handler.request(req('2'), bg());
  assert.is(element.size, 2);
  await handler.close(conn('1'), bg());
  assert.is(element.size, 1);
  await handler.request(req('2'), bg());
  await handler.close(conn('2'), bg());
  assert.is(element.size, 0);
  assert.is(net.open(), 0);
  assert.is(net.closedTwice(), 0);
});

basics('Close without a URL in the context re-dials the stored URL', async () => {
  const net = memoryNet(['a']);
  const current = { url: 'a' as string | undefined };
  const handler = networkServiceHandler([
    metadata(),
    urlFrom(current),
    dial({ dialer: net.dialer }),
    sendToPeer,
  ]);
  await handler.request(req('1'), bg());
  current.url = undefined;
  await handler.close(conn('1'), bg());
  assert.equal(net.dials, ['a', 'a']);
  assert.equal(net.log, ['a request:1', 'a close:1']);
  assert.is(net.open(), 0);
});

basics('a static connection in metadata (clientConn) is used as is and never closed', async () => {
  const net = memoryNet(['a', 'static']);
  const staticPeer = net.dialer('static');
  const storeStatic = checkContext((ctx) =>
    metadataOf(ctx, 'client').getOrSet(clientConnectionKey, () => staticPeer),
  );
  const element = dial({ dialer: net.dialer });
  const handler = networkServiceHandler([
    metadata(),
    storeStatic,
    urlFrom({ url: 'a' }),
    element,
    sendToPeer,
  ]);
  await handler.request(req('1'), bg());
  await handler.close(conn('1'), bg());
  assert.equal(net.dials, ['static']);
  assert.equal(net.log, ['static request:1', 'static close:1']);
  assert.is(net.peers[0]?.closes, 0);
  assert.is(element.size, 0);
});

basics.run();

// ---------------------------------------------------------------------------------------------------------
const change = suite('dial: the URL changes');

change(
  'closes the old path through the rest of the chain with the old URL, then requests the new one',
  async () => {
    const net = memoryNet(['a', 'b']);
    const current = { url: 'a' as string | undefined };
    const urls: string[] = [];
    const element = dial({ dialer: net.dialer });
    const handler = networkServiceHandler([
      metadata(),
      urlFrom(current),
      element,
      checkContext((ctx) => urls.push(clientUrlOf(ctx) ?? '-')),
      sendToPeer,
    ]);
    await handler.request(req('1'), bg());
    current.url = 'b';
    await handler.request(req('1'), bg());
    assert.equal(net.log, ['a request:1', 'a close:1', 'b request:1']);
    assert.equal(urls, ['a', 'a', 'b'], 'the old path is closed with the old URL in the context');
    assert.is(net.open(), 1);
    assert.is(element.size, 1);
    await handler.close(conn('1'), bg());
    assert.equal(net.log.at(-1), 'b close:1');
    assert.is(net.open(), 0);
    assert.is(net.closedTwice(), 0);
  },
);

change('a failing close of the old path does not stop the new Request', async () => {
  const net = memoryNet(['a', 'b']);
  const current = { url: 'a' as string | undefined };
  const handler = networkServiceHandler([
    metadata(),
    urlFrom(current),
    dial({ dialer: net.dialer }),
    injectError({ requestCalls: [], closeCalls: [1] }),
    sendToPeer,
  ]);
  await handler.request(req('1'), bg());
  current.url = 'b';
  await handler.request(req('1'), bg());
  assert.equal(net.log, ['a request:1', 'b request:1']);
  await handler.close(conn('1'), bg());
  assert.is(net.open(), 0);
});

change.run();

// ---------------------------------------------------------------------------------------------------------
const failures = suite('dial: failures and rollback');

failures(
  'a dialer that throws fails the Request with UNAVAILABLE DIAL_FAILED and stores nothing',
  async () => {
    const net = memoryNet([]);
    const after = count();
    const element = dial({ dialer: net.dialer });
    let stored: PeerConnection | undefined;
    const handler = networkServiceHandler([
      metadata(),
      urlFrom({ url: 'nowhere' }),
      checkContext((ctx) => {
        stored = metadataOf(ctx, 'client').get(clientConnectionKey);
      }),
      element,
      after,
    ]);
    const error = await rejection(handler.request(req('1'), bg()));
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.UNAVAILABLE);
    assert.is(error.reason, 'DIAL_FAILED');
    assert.ok(error.message.startsWith('dial: '));
    assert.ok(isStatusError(error.cause) && error.cause.reason === 'URL_INVALID', 'keeps the cause');
    assert.is(after.requests, 0);
    assert.is(stored, undefined);
    assert.is(element.size, 0);
  },
);

failures('a failed first Request closes the new connection and removes it from metadata', async () => {
  const net = memoryNet(['a']);
  const element = dial({ dialer: net.dialer });
  const md: { client?: ReturnType<typeof metadataOf> } = {};
  const handler = networkServiceHandler([
    metadata(),
    urlFrom({ url: 'a' }),
    checkContext((ctx) => {
      md.client = metadataOf(ctx, 'client');
    }),
    element,
    injectError(),
  ]);
  await rejection(handler.request(req('1'), bg()));
  assert.is(net.open(), 0);
  assert.is(md.client?.get(clientConnectionKey), undefined);
  assert.is(element.size, 0);
});

failures(
  'a failed refresh keeps the (fresh) connection for the established one; Close frees it',
  async () => {
    const net = memoryNet(['a']);
    const element = dial({ dialer: net.dialer });
    const handler = networkServiceHandler([
      metadata(),
      urlFrom({ url: 'a' }),
      element,
      injectError({ requestCalls: [2] }),
      sendToPeer,
    ]);
    await handler.request(req('1'), bg());
    await rejection(handler.request(req('1'), bg()));
    assert.is(element.size, 1);
    assert.is(net.open(), 1);
    await handler.close(conn('1'), bg());
    assert.equal(net.log, ['a request:1', 'a close:1']);
    assert.is(net.open(), 0);
    assert.is(net.closedTwice(), 0);
  },
);

failures('a failing Close still closes the connection and removes it, and rethrows', async () => {
  const net = memoryNet(['a']);
  const element = dial({ dialer: net.dialer });
  const handler = networkServiceHandler([
    metadata(),
    urlFrom({ url: 'a' }),
    element,
    injectError({ requestCalls: [], closeCalls: [1] }),
    sendToPeer,
  ]);
  await handler.request(req('1'), bg());
  const error = await rejection(handler.close(conn('1'), bg()));
  assert.is((error as Error).message, 'injected error');
  assert.is(net.open(), 0);
  assert.is(element.size, 0);
});

failures('Close falls back to the stored connection when re-dialing fails', async () => {
  const net = memoryNet(['a']);
  const current = { url: 'a' as string | undefined };
  const handler = networkServiceHandler([
    metadata(),
    urlFrom(current),
    dial({ dialer: net.dialer }),
    sendToPeer,
  ]);
  await handler.request(req('1'), bg());
  current.url = 'nowhere';
  await handler.close(conn('1'), bg());
  assert.equal(net.log, ['a request:1', 'a close:1']);
  assert.is(net.open(), 0);
});

failures.run();

// ---------------------------------------------------------------------------------------------------------
const lifetime = suite('dial: readiness, chain end and options');

lifetime('waits for a peer that reports readiness, at most dialTimeoutMs on the context clock', async () => {
  const clock = manualClock();
  const net = memoryNet(['a'], {
    ready: (signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      ),
  });
  const after = count();
  const element = dial({ dialer: net.dialer, dialTimeoutMs: 1000 });
  const handler = networkServiceHandler([metadata(), urlFrom({ url: 'a' }), element, after]);
  const pending = rejection(handler.request(req('1'), withClock(bg(), clock)));
  clock.advance(999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(net.open(), 1, 'still waiting');
  clock.advance(1);
  const error = await pending;
  assert.ok(isStatusError(error));
  assert.is(error.reason, 'DIAL_FAILED');
  assert.is(error.code, Code.UNAVAILABLE);
  assert.is(after.requests, 0);
  assert.is(net.open(), 0);
  assert.is(element.size, 0);
  assert.is(clock.pendingTimers, 0);
});

lifetime('a caller abort while waiting for readiness passes through untouched', async () => {
  const net = memoryNet(['a'], {
    ready: (signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      ),
  });
  const element = dial({ dialer: net.dialer });
  const handler = networkServiceHandler([metadata(), urlFrom({ url: 'a' }), element]);
  const scope = withCancel(withClock(bg(), manualClock()));
  const pending = rejection(handler.request(req('1'), scope.ctx));
  const reason = new DOMException('cancelled', 'AbortError');
  scope.cancel(reason);
  assert.is(await pending, reason);
  assert.is(net.open(), 0);
});

lifetime('a ready peer is used once ready() resolves', async () => {
  let readyCalls = 0;
  const net = memoryNet(['a'], {
    ready: async () => {
      readyCalls++;
    },
  });
  const handler = networkServiceHandler([
    metadata(),
    urlFrom({ url: 'a' }),
    dial({ dialer: net.dialer }),
    sendToPeer,
  ]);
  await handler.request(req('1'), bg());
  assert.is(readyCalls, 1);
  await handler.close(conn('1'), bg());
  assert.is(net.open(), 0);
});

lifetime('chainSignal abort closes every open connection once; later dials fail', async () => {
  const net = memoryNet(['a']);
  const chain = new AbortController();
  const element = dial({ dialer: net.dialer, chainSignal: chain.signal });
  const handler = networkServiceHandler([metadata(), urlFrom({ url: 'a' }), element, sendToPeer]);
  await handler.request(req('1'), bg());
  await handler.request(req('2'), bg());
  assert.is(net.open(), 2);
  chain.abort();
  assert.is(net.open(), 0);
  assert.is(element.size, 0);
  const error = await rejection(handler.request(req('3'), bg()));
  assert.ok(isStatusError(error) && error.reason === 'DIAL_FAILED');
  // Closing after the chain ended calls next with the (closed) stored connection and never closes it twice.
  const closeError = await rejection(handler.close(conn('1'), bg()));
  assert.ok(isStatusError(closeError) && closeError.code === Code.UNAVAILABLE);
  assert.is(net.closedTwice(), 0);
});

lifetime('bad options throw ConfigError', () => {
  const dialer: Dialer = () => {
    throw new Error('unused');
  };
  assert.throws(
    () => dial({} as never),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => dial({ dialer, dialTimeoutMs: -1 }),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => dial({ dialer, dialTimeoutMs: Number.NaN }),
    (e: unknown) => e instanceof ConfigError,
  );
  dial({ dialer, dialTimeoutMs: 0 });
});

lifetime.run();
