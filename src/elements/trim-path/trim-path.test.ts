import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import { Connection, PathSegment } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { isStatusError } from '../../chain/errors.js';
import {
  chain,
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { injectError } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { updatePathClient, updatePathServer } from '../update-path/index.js';
import { trimPathClient, trimPathServer } from './index.js';

const bg = (): CallContext => CallContext.background();

/** The returned connection plus one stale segment, as a caller re-requesting after a shorter reselect. */
function withStaleSegment(conn: Connection): NetworkServiceRequest {
  const connection = cloneMessage(conn);
  connection.path!.pathSegments.push(PathSegment.fromPartial({ name: 'stale', id: 'stale-id' }));
  return NetworkServiceRequest.fromPartial({ connection });
}

/** Runs `inner` only while `enabled.on` is true, otherwise passes through. */
function maybe(enabled: { on: boolean }, inner: NetworkServiceElement): NetworkServiceElement {
  return {
    name: 'maybe',
    request: (r, ctx, next) => (enabled.on ? inner.request!(r, ctx, next) : next.request(r, ctx)),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

const trim = suite('trim-path');

trim('a final endpoint trims the returned path after its own segment', async () => {
  const server = networkServiceHandler([updatePathServer('trim'), metadata(), trimPathServer()]);
  const conn = await server.request(NetworkServiceRequest.fromPartial({}), bg());
  assert.is(conn.path?.index, 0);
  assert.is(conn.path?.pathSegments.length, 1);
  const request = withStaleSegment(conn);
  const before = cloneMessage(request);
  const again = await server.request(request, bg());
  assert.is(again.path?.index, 0);
  assert.equal(
    again.path?.pathSegments.map((s) => s.name),
    ['trim'],
  );
  assert.equal(request, before, 'the request is not changed');
});

trim('a hop whose trimPathClient succeeded keeps the path whole', async () => {
  const name = 'dontTrim';
  const server = networkServiceHandler([
    updatePathServer(name),
    metadata(),
    trimPathServer(),
    chain(updatePathClient(name), trimPathClient()),
  ]);
  const conn = await server.request(NetworkServiceRequest.fromPartial({}), bg());
  assert.is(conn.path?.pathSegments.length, 1);
  const again = await server.request(withStaleSegment(conn), bg());
  assert.is(again.path?.index, 0);
  assert.is(again.path?.pathSegments.length, 2);
});

trim('the flag counts for one Request: a later Request that skips the client trims again', async () => {
  const reach = { on: true };
  const server = networkServiceHandler([
    updatePathServer('hop'),
    metadata(),
    trimPathServer(),
    maybe(reach, trimPathClient()),
  ]);
  const conn = await server.request(NetworkServiceRequest.fromPartial({}), bg());
  assert.is((await server.request(withStaleSegment(conn), bg())).path?.pathSegments.length, 2);
  reach.on = false;
  assert.is((await server.request(withStaleSegment(conn), bg())).path?.pathSegments.length, 1);
});

trim('a flag left by a failed Request does not stop the next one from trimming', async () => {
  const reach = { on: true };
  const failBack: NetworkServiceElement = {
    name: 'fail-on-the-way-back',
    async request(r, ctx, next) {
      await next.request(r, ctx);
      if (reach.on) throw new Error('late failure');
      return r.connection!;
    },
  };
  const server = networkServiceHandler([
    updatePathServer('hop'),
    metadata(),
    trimPathServer(),
    failBack,
    maybe(reach, trimPathClient()),
  ]);
  reach.on = false;
  const conn = await server.request(NetworkServiceRequest.fromPartial({}), bg());
  reach.on = true;
  await rejection(server.request(withStaleSegment(conn), bg()));
  reach.on = false;
  assert.is((await server.request(withStaleSegment(conn), bg())).path?.pathSegments.length, 1);
});

trim('never mutates what next returned; paths without extra segments come back as they are', async () => {
  let returned: Connection | undefined;
  const keep: NetworkServiceHandler = {
    request: async (r) => (returned = cloneMessage(r.connection!)),
    close: async () => undefined,
  };
  const server = networkServiceHandler([metadata(), trimPathServer()], keep);
  const long = NetworkServiceRequest.fromPartial({
    connection: { id: 'a', path: { index: 0, pathSegments: [{ name: 'a', id: 'a' }, { name: 'b' }] } },
  });
  const conn = await server.request(long, bg());
  assert.is(conn.path?.pathSegments.length, 1);
  assert.is(returned?.path?.pathSegments.length, 2);
  const short = NetworkServiceRequest.fromPartial({
    connection: { id: 'a', path: { pathSegments: [{ name: 'a' }] } },
  });
  assert.is(await server.request(short, bg()), returned);
  const none = NetworkServiceRequest.fromPartial({ connection: { id: 'b' } });
  assert.is(await server.request(none, bg()), returned);
});

trim('failures pass through; Close passes through; no metadata is METADATA_MISSING', async () => {
  const error = new Error('down');
  const failing = networkServiceHandler([
    metadata(),
    trimPathServer(),
    trimPathClient(),
    injectError({ error }),
  ]);
  assert.is(await rejection(failing.request(NetworkServiceRequest.fromPartial({}), bg())), error);
  const closed: Connection[] = [];
  const server = networkServiceHandler([trimPathServer(), trimPathClient()], {
    request: async (r) => r.connection!,
    close: async (c) => void closed.push(c),
  });
  const conn = Connection.fromPartial({ id: 'c', path: { pathSegments: [{}, {}] } });
  await server.close(conn, bg());
  assert.is(closed[0], conn);
  const missing = await rejection(server.request(NetworkServiceRequest.fromPartial({}), bg()));
  assert.is(isStatusError(missing) && missing.reason, 'METADATA_MISSING');
});

trim.run();
