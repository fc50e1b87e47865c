import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { beginServer, eventFactoryOf, type EventFactory } from './index.js';

/** Captures the event factory and fails the first `failCloses` Closes. */
function downstream(
  failCloses: number,
): NetworkServiceElement & { factory?: EventFactory | undefined; closes: number } {
  const self: NetworkServiceElement & { factory?: EventFactory | undefined; closes: number } = {
    name: 'downstream',
    closes: 0,
    async request(request, ctx, next) {
      self.factory = eventFactoryOf(ctx);
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      self.closes++;
      if (self.closes <= failCloses) throw new Error('close failed');
      return next.close(connection, ctx);
    },
  };
  return self;
}

const request = (id: string): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id } });
const bg = (): CallContext => CallContext.background();

test('an event can retry a Close that failed downstream, once it succeeds no more', async () => {
  const d = downstream(1);
  const handler = networkServiceHandler([beginServer(), d]);
  const connection = await handler.request(request('c1'), bg());
  await handler.close(connection, bg()).then(
    () => assert.unreachable(),
    () => undefined,
  );
  assert.equal(await d.factory!.close(), { status: 'done' });
  assert.equal(await d.factory!.close(), { status: 'skipped' });
  assert.is(d.closes, 2);
});

test('a retried Close is skipped once the id is in use by a new connection', async () => {
  const d = downstream(1);
  const handler = networkServiceHandler([beginServer(), d]);
  const first = await handler.request(request('c1'), bg());
  await handler.close(first, bg()).catch(() => undefined);
  const old = d.factory!;
  await handler.request(request('c1'), bg());
  assert.equal(await old.close(), { status: 'skipped' });
  assert.is(d.closes, 1);
});

test.run();
