import { EMPTY } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, StatusError, isStatusError } from '../../chain/errors.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import type { PeerConnection } from '../../chain/peer.js';
import { nseRegistryTail, nsRegistryTail } from '../../chain/registry.js';
import { checkContext, count, injectError, manualClock } from '../../testing/index.js';
import { clientConn } from '../client-conn/index.js';
import { metadata } from '../metadata/index.js';
import { connectClient, connectServer } from './index.js';

const req = (id: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id, networkService: 'ns' } });
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

/** A peer whose NetworkService is `remote`. */
function peerFor(url: string, remote: NetworkServiceHandler): PeerConnection {
  return {
    url,
    networkService: remote,
    monitorConnection: { monitorConnections: () => EMPTY },
    nsRegistry: nsRegistryTail,
    nseRegistry: nseRegistryTail,
    close: () => undefined,
  };
}

/** A remote side answering with `labels.by = name` and logging calls. */
function remote(name: string, log: string[]): NetworkServiceHandler {
  return {
    request: async (request) => {
      log.push(`${name} request:${request.connection?.id}`);
      return { ...(request.connection ?? Connection.create()), labels: { by: name } };
    },
    close: async (connection) => {
      log.push(`${name} close:${connection.id}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
const client = suite('connect: connectClient');

client('sends Request and Close over the connection in metadata and never calls next', async () => {
  const log: string[] = [];
  const after = count();
  const handler = networkServiceHandler([
    metadata(),
    clientConn(peerFor('nse', remote('nse', log))),
    connectClient(),
    after,
  ]);
  const connection = await handler.request(req('1'), bg());
  assert.equal(connection.labels, { by: 'nse' });
  await handler.close(connection, bg());
  assert.equal(log, ['nse request:1', 'nse close:1']);
  assert.is(after.requests + after.closes, 0);
});

client('the remote error comes back as it is', async () => {
  let fail = false;
  const flaky: NetworkServiceHandler = {
    request: async (r) => {
      if (fail) throw new StatusError(Code.NOT_FOUND, 'nope', { reason: 'X_NOPE' });
      return r.connection ?? Connection.create();
    },
    close: () => Promise.reject(new StatusError(Code.UNAVAILABLE, 'down')),
  };
  const handler = networkServiceHandler([metadata(), clientConn(peerFor('nse', flaky)), connectClient()]);
  const connection = await handler.request(req('1'), bg());
  fail = true;
  const error = await rejection(handler.request(req('1'), bg()));
  assert.ok(isStatusError(error) && error.reason === 'X_NOPE');
  const closeError = await rejection(handler.close(connection, bg()));
  assert.ok(isStatusError(closeError) && closeError.code === Code.UNAVAILABLE);
});

client('without a connection in metadata: INTERNAL CONNECT_NO_CONNECTION', async () => {
  const handler = networkServiceHandler([metadata(), connectClient()]);
  for (const call of [handler.request(req('1'), bg()), handler.close(conn('1'), bg())]) {
    const error = await rejection(call);
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INTERNAL);
    assert.is(error.reason, 'CONNECT_NO_CONNECTION');
    assert.ok(error.message.startsWith('connect: '));
  }
});

client.run();

// ---------------------------------------------------------------------------------------------------------
const server = suite('connect: connectServer');

server(
  'runs the client, then the rest of the server chain with the connection the client returned',
  async () => {
    const log: string[] = [];
    const seen: (Connection | undefined)[] = [];
    const request = req('1');
    const handler = networkServiceHandler([
      connectServer(remote('client', log)),
      {
        name: 'after',
        request: async (r) => {
          seen.push(r.connection);
          return r.connection ?? Connection.create();
        },
      },
    ]);
    const connection = await handler.request(request, bg());
    assert.equal(connection.labels, { by: 'client' });
    assert.equal(seen[0]?.labels, { by: 'client' });
    assert.equal(request.connection?.labels, {}, 'the input request is not changed');
    assert.equal(log, ['client request:1']);
  },
);

server('a failing client fails the Request and the rest of the chain is not called', async () => {
  const after = count();
  const failing: NetworkServiceHandler = {
    request: () => Promise.reject(new Error('client down')),
    close: () => Promise.resolve(),
  };
  const handler = networkServiceHandler([connectServer(failing), after]);
  const error = await rejection(handler.request(req('1'), bg()));
  assert.is((error as Error).message, 'client down');
  assert.is(after.requests, 0);
});

server(
  'when the rest of the chain fails, the client side is closed with a fresh context, and the error thrown',
  async () => {
    const clock = manualClock();
    const log: string[] = [];
    const contexts: { ctx: CallContext; aborted: boolean }[] = [];
    const client: NetworkServiceHandler = {
      request: (r, ctx) => remote('client', log).request(r, ctx),
      close: (c, ctx) => {
        contexts.push({ ctx, aborted: ctx.signal.aborted });
        return remote('client', log).close(c, ctx);
      },
    };
    const scope = withCancel(withClock(bg(), clock), 5000);
    const failAndAbort: NetworkServiceElement = {
      name: 'fail-and-abort',
      request: async () => {
        clock.advance(2000);
        scope.cancel();
        throw new Error('server side failed');
      },
    };
    const handler = networkServiceHandler([connectServer(client), failAndAbort]);
    const error = await rejection(handler.request(req('1'), scope.ctx));
    assert.is((error as Error).message, 'server side failed');
    assert.equal(log, ['client request:1', 'client close:1']);
    const closeCtx = contexts[0];
    assert.ok(closeCtx !== undefined);
    assert.is(closeCtx.aborted, false, 'not cancelled with the call');
    assert.is(closeCtx.ctx.deadline, clock.now() + 5000, 'the same timeout length as the Request had');
    assert.is(clock.pendingTimers, 0);
  },
);

server('a client Close failing during rollback does not hide the original error', async () => {
  const client: NetworkServiceHandler = {
    request: async (r) => r.connection ?? Connection.create(),
    close: () => Promise.reject(new Error('close failed')),
  };
  const handler = networkServiceHandler([
    connectServer(client),
    injectError({ error: new Error('original') }),
  ]);
  const error = await rejection(handler.request(req('1'), bg()));
  assert.is((error as Error).message, 'original');
});

server(
  'Close runs the client and then the rest; both run even when one fails; the client error wins',
  async () => {
    const log: string[] = [];
    const failingClient: NetworkServiceHandler = {
      request: async (r) => r.connection ?? Connection.create(),
      close: async (c) => {
        log.push(`client close:${c.id}`);
        throw new Error('client close failed');
      },
    };
    const recordNext = checkContext(() => log.push('next close'));
    const both = networkServiceHandler([
      connectServer(failingClient),
      recordNext,
      injectError({ error: new Error('server close failed'), requestCalls: [], closeCalls: [1] }),
    ]);
    const error = await rejection(both.close(conn('1'), bg()));
    assert.is((error as Error).message, 'client close failed');
    assert.equal(log, ['client close:1', 'next close']);

    const onlyServer = networkServiceHandler([
      connectServer(remote('client', [])),
      injectError({ error: new Error('server close failed'), requestCalls: [], closeCalls: [1] }),
    ]);
    assert.is(((await rejection(onlyServer.close(conn('1'), bg()))) as Error).message, 'server close failed');

    const ok = count();
    await networkServiceHandler([connectServer(remote('client', [])), ok]).close(conn('1'), bg());
    assert.is(ok.closes, 1);
  },
);

server('a client that is not a handler is a ConfigError', () => {
  assert.throws(
    () => connectServer(undefined as never),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => connectServer({ request: () => undefined } as never),
    (e: unknown) => e instanceof ConfigError,
  );
});

server.run();
