import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, Path } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withIncomingCall } from '../../chain/call-metadata.js';
import { withCancel } from '../../chain/cancel.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceHandler } from '../../chain/network-service.js';
import { count, injectError } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { signJwt } from '../token-jwt/index.js';
import {
  authorizeClient,
  authorizeServer,
  type AuthorizePolicy,
  type AuthorizeServerOptions,
  type PathPolicyInput,
} from './index.js';

const bg = (): CallContext => CallContext.background();
/** A context as the gRPC server edge builds it: with a peer. */
const overGrpc = (): CallContext => withIncomingCall(bg(), {}, { address: '127.0.0.1:40000' });

/** Allows paths where some segment has the token `allowed` (the Go test policy). */
function allowedToken(seen: PathPolicyInput[] = []): AuthorizePolicy {
  return {
    name: 'allowed_token',
    check(input) {
      seen.push(input);
      if (!input.path.pathSegments.some((s) => s.token === 'allowed')) {
        throw new StatusError(Code.PERMISSION_DENIED, 'authorize: no sufficient privileges', {
          reason: 'AUTHORIZE_ALLOWED_TOKEN',
        });
      }
    },
  };
}

let ids = 0;
/** A request on a new connection id whose single segment carries `token`. */
const withToken = (token: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id: `id-${++ids}`, path: { index: 0, pathSegments: [{ token }] } },
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

function assertDenied(error: unknown, reason: string): void {
  assert.ok(isStatusError(error), String(error));
  if (!isStatusError(error)) return;
  assert.is(error.code, Code.PERMISSION_DENIED);
  assert.is(error.reason, reason);
}

// ---------------------------------------------------------------------------------------------------------
const server = suite('authorize server: policies');

server(
  'over gRPC: allowed passes, refused is PERMISSION_DENIED on Request and Close, next not reached',
  async () => {
    const counter = count();
    const handler = networkServiceHandler([authorizeServer({ policies: [allowedToken()] }), counter]);
    await handler.request(withToken('allowed'), overGrpc());
    await handler.close(withToken('allowed').connection!, overGrpc());
    assertDenied(
      await rejection(handler.request(withToken('not_allowed'), overGrpc())),
      'AUTHORIZE_ALLOWED_TOKEN',
    );
    const closing = withToken('not_allowed').connection!;
    assertDenied(await rejection(handler.close(closing, overGrpc())), 'AUTHORIZE_ALLOWED_TOKEN');
    assert.is(counter.requests, 1);
    assert.is(counter.closes, 1);
  },
);

server('in-process calls (no peer) are not checked; no policies allows everything', async () => {
  const refuseAll: AuthorizePolicy = {
    name: 'never',
    check: () => {
      throw new Error('never');
    },
  };
  const handler = networkServiceHandler([authorizeServer({ policies: [refuseAll] })]);
  await handler.request(withToken('x'), bg());
  await handler.close(Connection.fromPartial({}), bg());
  const open = networkServiceHandler([authorizeServer()]);
  await open.request(NetworkServiceRequest.fromPartial({}), overGrpc());
  await open.close(Connection.fromPartial({ path: { index: 1, pathSegments: [{}, {}] } }), overGrpc());
});

server('policies see only the left side of the path, and run in order until the first refusal', async () => {
  const seen: PathPolicyInput[] = [];
  const order: string[] = [];
  const named = (name: string, refuse = false): AuthorizePolicy => ({
    name,
    check: async () => {
      order.push(name);
      if (refuse) throw new StatusError(Code.PERMISSION_DENIED, 'no', { reason: 'AUTHORIZE_B' });
    },
  });
  const request = NetworkServiceRequest.fromPartial({
    connection: {
      id: 'b',
      path: { index: 1, pathSegments: [{ id: 'a', token: 'allowed' }, { id: 'b' }, { id: 'c' }] },
    },
  });
  await networkServiceHandler([authorizeServer({ policies: [allowedToken(seen)] })]).request(
    request,
    overGrpc(),
  );
  assert.equal(seen[0], {
    path: Path.fromPartial({ index: 1, pathSegments: [{ id: 'a', token: 'allowed' }, { id: 'b' }] }),
    connectionId: 'b',
  });
  assert.is(request.connection?.path?.pathSegments.length, 3, 'the request is untouched');
  const chainOf = networkServiceHandler([
    authorizeServer({ policies: [named('a'), named('b', true), named('c')] }),
  ]);
  assertDenied(await rejection(chainOf.request(request, overGrpc())), 'AUTHORIZE_B');
  assert.equal(order, ['a', 'b']);
});

server(
  'a policy throwing a plain error: PERMISSION_DENIED AUTHORIZE_POLICY_FAILED with the cause',
  async () => {
    const cause = new Error('bad policy');
    const handler = networkServiceHandler([
      authorizeServer({ policies: [{ name: 'broken', check: () => Promise.reject(cause) }] }),
    ]);
    const error = await rejection(handler.request(withToken('x'), overGrpc()));
    assertDenied(error, 'AUTHORIZE_POLICY_FAILED');
    assert.is((error as Error).cause, cause);
    assert.ok((error as Error).message.startsWith('authorize: '));
  },
);

server('an abort thrown by a policy passes through untouched', async () => {
  const scope = withCancel(overGrpc());
  const reason = new DOMException('stop', 'AbortError');
  scope.cancel(reason);
  const handler = networkServiceHandler([
    authorizeServer({ policies: [{ name: 'waits', check: (_i, ctx) => ctx.throwIfAborted() }] }),
  ]);
  assert.is(await rejection(handler.request(withToken('x'), scope.ctx)), reason);
});

server.run();

// ---------------------------------------------------------------------------------------------------------
const tracking = suite('authorize server: connections by SPIFFE ID');

const jwt = (sub: string): string => signJwt({ sub, exp: 4_000_000_000 }, 'k');
/** A request arriving at hop 1 from a caller whose token (segment 0) has subject `sub`. */
const fromCaller = (sub: string, callerId: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: {
      id: `${callerId}-here`,
      path: { index: 1, pathSegments: [{ id: callerId, token: jwt(sub) }, { id: `${callerId}-here` }] },
    },
  });

function snapshot(element: ReturnType<typeof authorizeServer>): Record<string, string[]> {
  return Object.fromEntries([...element.connectionsBySpiffeId].map(([k, v]) => [k, [...v].sort()]));
}

tracking('Request records caller → connection id; Close removes it and the empty entry', async () => {
  const element = authorizeServer();
  const handler = networkServiceHandler([element]);
  await handler.request(fromCaller('spiffe://a', 'c1'), overGrpc());
  await handler.request(fromCaller('spiffe://a', 'c2'), overGrpc());
  await handler.request(fromCaller('spiffe://a', 'c2'), overGrpc());
  await handler.request(fromCaller('spiffe://b', 'c3'), overGrpc());
  assert.equal(snapshot(element), { 'spiffe://a': ['c1', 'c2'], 'spiffe://b': ['c3'] });
  await handler.close(fromCaller('spiffe://a', 'c1').connection!, overGrpc());
  await handler.close(fromCaller('spiffe://b', 'c3').connection!, overGrpc());
  assert.equal(snapshot(element), { 'spiffe://a': ['c2'] });
  await handler.close(fromCaller('spiffe://a', 'c2').connection!, overGrpc());
  await handler.close(fromCaller('spiffe://z', 'never').connection!, overGrpc());
  assert.is(element.connectionsBySpiffeId.size, 0);
});

tracking('a failed first Request removes its entry; a failed refresh keeps the established one', async () => {
  const element = authorizeServer();
  const handler = networkServiceHandler([element, injectError({ requestCalls: [1, 3] })]);
  await rejection(handler.request(fromCaller('spiffe://a', 'c1'), overGrpc()));
  assert.is(element.connectionsBySpiffeId.size, 0);
  await handler.request(fromCaller('spiffe://a', 'c1'), overGrpc());
  await rejection(handler.request(fromCaller('spiffe://a', 'c1'), overGrpc()));
  assert.equal(snapshot(element), { 'spiffe://a': ['c1'] });
});

tracking('nothing is recorded in process, at index 0, for undecodable tokens or refused calls', async () => {
  const element = authorizeServer({ policies: [allowedToken()] });
  const handler = networkServiceHandler([element]);
  await handler.request(fromCaller('spiffe://a', 'c1'), bg());
  const opaque = NetworkServiceRequest.fromPartial({
    connection: { path: { index: 1, pathSegments: [{ id: 'c', token: 'allowed' }, {}] } },
  });
  await handler.request(opaque, overGrpc());
  const first = NetworkServiceRequest.fromPartial({
    connection: { path: { index: 0, pathSegments: [{ id: 'c', token: 'allowed' }] } },
  });
  await handler.request(first, overGrpc());
  await rejection(handler.request(fromCaller('spiffe://a', 'c1'), overGrpc()));
  assert.is(element.connectionsBySpiffeId.size, 0);
});

tracking.run();

// ---------------------------------------------------------------------------------------------------------
const client = suite('authorize client');

function clientChain(policies: AuthorizePolicy[], tail?: NetworkServiceHandler) {
  const counter = count();
  const handler = networkServiceHandler([metadata(), authorizeClient({ policies }), counter], tail);
  return { handler, counter };
}

client('allowed passes; a refused new connection is closed downstream and the error thrown', async () => {
  const { handler, counter } = clientChain([allowedToken()]);
  await handler.request(withToken('allowed'), bg());
  assertDenied(await rejection(handler.request(withToken('not_allowed'), bg())), 'AUTHORIZE_ALLOWED_TOKEN');
  assert.is(counter.requests, 2);
  assert.is(counter.closes, 1);
});

client('a refused refresh is not closed; Close of the connection still goes through', async () => {
  const { handler, counter } = clientChain([allowedToken()]);
  const request = withToken('allowed');
  request.connection!.id = 'conn';
  const conn = await handler.request(request, bg());
  const refresh = withToken('not_allowed');
  refresh.connection!.id = 'conn';
  assertDenied(await rejection(handler.request(refresh, bg())), 'AUTHORIZE_ALLOWED_TOKEN');
  assert.is(counter.closes, 0);
  await handler.close(conn, bg());
  assert.is(counter.closes, 1);
});

client('Close is checked too: a refused Close does not reach next', async () => {
  const { handler, counter } = clientChain([allowedToken()]);
  assertDenied(
    await rejection(handler.close(withToken('nope').connection!, bg())),
    'AUTHORIZE_ALLOWED_TOKEN',
  );
  assert.is(counter.closes, 0);
});

client('policies see the whole returned path; a downstream failure passes through unchecked', async () => {
  const seen: PathPolicyInput[] = [];
  const returned = Connection.fromPartial({
    id: 'a',
    path: { index: 0, pathSegments: [{ id: 'a', token: 'allowed' }, { id: 'b' }] },
  });
  const { handler } = clientChain([allowedToken(seen)], {
    request: async () => returned,
    close: async () => undefined,
  });
  assert.is(await handler.request(withToken('x'), bg()), returned);
  assert.equal(seen, [{ path: returned.path, connectionId: 'a' }]);
  const error = new Error('down');
  const failing = networkServiceHandler([
    metadata(),
    authorizeClient({ policies: [allowedToken(seen)] }),
    injectError({ error }),
  ]);
  assert.is(await rejection(failing.request(withToken('allowed'), bg())), error);
  assert.is(seen.length, 1);
});

client('a failing downstream Close after a refusal still throws the refusal', async () => {
  const { handler } = clientChain([allowedToken()], {
    request: async (r) => r.connection!,
    close: () => Promise.reject(new Error('close failed')),
  });
  assertDenied(await rejection(handler.request(withToken('no'), bg())), 'AUTHORIZE_ALLOWED_TOKEN');
});

client('without metadata: METADATA_MISSING before anything is sent', async () => {
  const counter = count();
  const handler = networkServiceHandler([authorizeClient(), counter]);
  const error = await rejection(handler.request(withToken('allowed'), bg()));
  assert.is(isStatusError(error) && error.reason, 'METADATA_MISSING');
  assert.is(counter.requests, 0);
});

client.run();

// ---------------------------------------------------------------------------------------------------------
const options = suite('authorize: options');

options('bad policies are a ConfigError on both sides', () => {
  const bad: unknown[] = [
    'tokens_expired',
    [null],
    [{ name: '', check: () => undefined }],
    [{ name: 'x' }],
    [{ check: () => undefined }],
  ];
  for (const policies of bad) {
    const opts = { policies } as unknown as AuthorizeServerOptions;
    assert.throws(
      () => authorizeServer(opts),
      (e: unknown) => e instanceof ConfigError,
    );
    assert.throws(
      () => authorizeClient(opts),
      (e: unknown) => e instanceof ConfigError,
    );
  }
});

options.run();
