import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { networkServiceHandler } from '../../chain/network-service.js';
import { checkContext } from '../../testing/index.js';
import { clientUrl } from './index.js';

const req = NetworkServiceRequest.fromPartial({ connection: { id: '1' } });
const conn = Connection.fromPartial({ id: '1' });
const bg = (): CallContext => CallContext.background();

const test = suite('client-url');

test('puts the URL in the context of Request and Close for the rest of the chain', async () => {
  const seen: (string | undefined)[] = [];
  const handler = networkServiceHandler([
    clientUrl('unix:///run/nsm.sock'),
    checkContext((ctx) => seen.push(clientUrlOf(ctx))),
  ]);
  const connection = await handler.request(req, bg());
  await handler.close(connection, bg());
  assert.equal(seen, ['unix:///run/nsm.sock', 'unix:///run/nsm.sock']);
});

test('overrides a URL set earlier in the chain', async () => {
  const seen: (string | undefined)[] = [];
  const handler = networkServiceHandler([
    clientUrl('tcp://b:5000'),
    checkContext((ctx) => seen.push(clientUrlOf(ctx))),
  ]);
  await handler.request(req, withClientUrl(bg(), 'tcp://a:5000'));
  assert.equal(seen, ['tcp://b:5000']);
});

test('undefined is a no-op: an earlier URL (or none) stays', async () => {
  const seen: (string | undefined)[] = [];
  const handler = networkServiceHandler([
    clientUrl(undefined),
    checkContext((ctx) => seen.push(clientUrlOf(ctx))),
  ]);
  await handler.request(req, withClientUrl(bg(), 'tcp://a:5000'));
  await handler.close(conn, bg());
  assert.equal(seen, ['tcp://a:5000', undefined]);
});

test('the empty string is a ConfigError', () => {
  assert.throws(
    () => clientUrl(''),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => clientUrl('  '),
    (e: unknown) => e instanceof ConfigError,
  );
});

test.run();
