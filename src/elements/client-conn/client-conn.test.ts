import { EMPTY } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { metadataOf, type MetadataMap } from '../../chain/metadata.js';
import { networkServiceHandler, networkServiceTail } from '../../chain/network-service.js';
import { clientConnectionKey, type PeerConnection } from '../../chain/peer.js';
import { nseRegistryTail, nsRegistryTail } from '../../chain/registry.js';
import { checkContext, injectError } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { clientConn } from './index.js';

const req = NetworkServiceRequest.fromPartial({ connection: { id: '1' } });
const conn = Connection.fromPartial({ id: '1' });
const bg = (): CallContext => CallContext.background();

function peer(url: string): PeerConnection & { closes: number } {
  const p = {
    url,
    closes: 0,
    networkService: networkServiceTail,
    monitorConnection: { monitorConnections: () => EMPTY },
    nsRegistry: nsRegistryTail,
    nseRegistry: nseRegistryTail,
    close() {
      p.closes++;
    },
  };
  return p;
}

/** Records the client half of the metadata and what it held when this element ran. */
function spy(): ReturnType<typeof checkContext> & {
  readonly md: MetadataMap | undefined;
  readonly seen: (PeerConnection | undefined)[];
} {
  let md: MetadataMap | undefined;
  const seen: (PeerConnection | undefined)[] = [];
  const element = checkContext((ctx) => {
    md = metadataOf(ctx, 'client');
    seen.push(md.get(clientConnectionKey));
  });
  return {
    ...element,
    seen,
    get md() {
      return md;
    },
  };
}

const test = suite('client-conn');

test('stores the connection for the rest of the chain and removes it after Close', async () => {
  const p = peer('static');
  const s = spy();
  const handler = networkServiceHandler([metadata(), clientConn(p), s]);
  await handler.request(req, bg());
  await handler.request(req, bg());
  assert.equal(s.seen, [p, p]);
  await handler.close(conn, bg());
  assert.equal(s.seen, [p, p, p]);
  assert.ok(s.md !== undefined);
  assert.is(s.md.get(clientConnectionKey), undefined);
  assert.is(p.closes, 0, 'never closes the caller-owned connection');
});

test('keeps a connection already in metadata (LoadOrStore) and leaves a different one on Close', async () => {
  const mine = peer('mine');
  const other = peer('other');
  const s = spy();
  const handler = networkServiceHandler([
    metadata(),
    checkContext((ctx) => metadataOf(ctx, 'client').getOrSet(clientConnectionKey, () => other)),
    clientConn(mine),
    s,
  ]);
  await handler.request(req, bg());
  assert.equal(s.seen, [other]);
  await handler.close(conn, bg());
  assert.is(s.md?.get(clientConnectionKey), other);
});

test('a failing Close still removes it, and the error is rethrown', async () => {
  const p = peer('static');
  const s = spy();
  const handler = networkServiceHandler([
    metadata(),
    clientConn(p),
    s,
    injectError({ requestCalls: [], closeCalls: [1] }),
  ]);
  await handler.request(req, bg());
  try {
    await handler.close(conn, bg());
    assert.unreachable('close should fail');
  } catch (error) {
    assert.is((error as Error).message, 'injected error');
  }
  assert.is(s.md?.get(clientConnectionKey), undefined);
});

test('undefined is a no-op', async () => {
  const s = spy();
  const handler = networkServiceHandler([metadata(), clientConn(undefined), s]);
  await handler.request(req, bg());
  assert.equal(s.seen, [undefined]);
});

test.run();
