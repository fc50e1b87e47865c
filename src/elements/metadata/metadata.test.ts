import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { chain, networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { checkContext, injectError } from '../../testing/index.js';
import { metadata, metadataKey, metadataOf, MetadataMap, type ConnectionMetadata } from './index.js';

const bg = (): CallContext => CallContext.background();
const req = (id: string): NetworkServiceRequest => NetworkServiceRequest.fromPartial({ connection: { id } });
const conn = (id: string): Connection => Connection.fromPartial({ id });

const counterKey = metadataKey<number>('test/counter');

/** Reads the server half on every call and records it. */
function recordMaps(seen: MetadataMap[]): NetworkServiceElement {
  return checkContext((ctx) => {
    seen.push(metadataOf(ctx, 'server'));
  });
}

/** Increments a per-connection counter in the server half on each Request; records the value on Close. */
function counter(closes: (number | undefined)[]): NetworkServiceElement {
  return {
    name: 'counter',
    request(request, ctx, next) {
      const map = metadataOf(ctx, 'server');
      map.set(counterKey, (map.get(counterKey) ?? 0) + 1);
      return next.request(request, ctx);
    },
    close(connection, ctx, next) {
      closes.push(metadataOf(ctx, 'server').get(counterKey));
      return next.close(connection, ctx);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
const lifecycle = suite('metadata: record lifecycle');

lifecycle('created on the first Request and shared by later Requests of the same id', async () => {
  const meta = metadata();
  const seen: MetadataMap[] = [];
  const closes: (number | undefined)[] = [];
  const handler = networkServiceHandler([meta, counter(closes), recordMaps(seen)]);
  assert.is(meta.size, 0);
  await handler.request(req('a'), bg());
  assert.is(meta.size, 1);
  await handler.request(req('a'), bg());
  await handler.request(req('b'), bg());
  assert.is(meta.size, 2);
  assert.is(seen[0], seen[1]);
  assert.is.not(seen[0], seen[2]);
  assert.is(seen[1]?.get(counterKey), 2);
  assert.is(seen[2]?.get(counterKey), 1);
});

lifecycle('freed on Close, yet readable by elements during that Close', async () => {
  const meta = metadata();
  const closes: (number | undefined)[] = [];
  let sizeDuringClose = -1;
  const sizeProbe: NetworkServiceElement = {
    name: 'size-probe',
    close(connection, ctx, next) {
      sizeDuringClose = meta.size;
      return next.close(connection, ctx);
    },
  };
  const handler = networkServiceHandler([meta, counter(closes), sizeProbe]);
  await handler.request(req('a'), bg());
  await handler.request(req('a'), bg());
  await handler.close(conn('a'), bg());
  assert.equal(closes, [2]);
  assert.is(sizeDuringClose, 0);
  assert.is(meta.size, 0);
  // A new Request starts from an empty record.
  await handler.request(req('a'), bg());
  await handler.close(conn('a'), bg());
  assert.equal(closes, [2, 1]);
});

lifecycle('a Close of an unknown id gives elements an empty record and keeps nothing', async () => {
  const meta = metadata();
  const closes: (number | undefined)[] = [];
  const handler = networkServiceHandler([meta, counter(closes)]);
  await handler.close(conn('nobody'), bg());
  assert.equal(closes, [undefined]);
  assert.is(meta.size, 0);
});

lifecycle('freed when the first Request fails', async () => {
  const meta = metadata();
  const closes: (number | undefined)[] = [];
  const handler = networkServiceHandler([meta, counter(closes), injectError({ requestCalls: [1] })]);
  try {
    await handler.request(req('a'), bg());
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'injected error');
  }
  assert.is(meta.size, 0);
  const seen: MetadataMap[] = [];
  const fresh = networkServiceHandler([meta, recordMaps(seen)]);
  await fresh.request(req('a'), bg());
  assert.is(seen[0]?.get(counterKey), undefined);
});

lifecycle('kept when a later Request fails', async () => {
  const meta = metadata();
  const closes: (number | undefined)[] = [];
  const handler = networkServiceHandler([meta, counter(closes), injectError({ requestCalls: [2] })]);
  await handler.request(req('a'), bg());
  try {
    await handler.request(req('a'), bg());
    assert.unreachable();
  } catch {
    // expected
  }
  assert.is(meta.size, 1);
  await handler.request(req('a'), bg());
  await handler.close(conn('a'), bg());
  assert.equal(closes, [3]);
  assert.is(meta.size, 0);
});

lifecycle.run();

// ---------------------------------------------------------------------------------------------------------
const nested = suite('metadata: nested chains share the record');

nested('an inner metadata reuses the record already in ctx and neither creates nor frees one', async () => {
  const outer = metadata();
  const inner = metadata();
  const seenOuter: MetadataMap[] = [];
  const seenInner: MetadataMap[] = [];
  const handler = networkServiceHandler([outer, recordMaps(seenOuter), chain(inner, recordMaps(seenInner))]);
  await handler.request(req('a'), bg());
  assert.is(outer.size, 1);
  assert.is(inner.size, 0);
  assert.is(seenOuter[0], seenInner[0]);
  await handler.close(conn('a'), bg());
  assert.is(seenOuter[1], seenInner[1]);
  assert.is(seenOuter[1], seenOuter[0]);
  assert.is(outer.size, 0);
  assert.is(inner.size, 0);
});

nested('a failing inner Request does not make the inner element free the shared record', async () => {
  const outer = metadata();
  const inner = metadata();
  const closes: (number | undefined)[] = [];
  const handler = networkServiceHandler([
    outer,
    counter(closes),
    chain(inner, injectError({ requestCalls: [2] })),
  ]);
  await handler.request(req('a'), bg());
  try {
    await handler.request(req('a'), bg());
    assert.unreachable();
  } catch {
    // expected
  }
  assert.is(outer.size, 1);
  assert.is(inner.size, 0);
  await handler.close(conn('a'), bg());
  assert.equal(closes, [2]);
});

nested.run();

// ---------------------------------------------------------------------------------------------------------
const halves = suite('metadata: client and server halves');

halves('client and server halves are separate maps of one record', async () => {
  const key = metadataKey<string>('test/side');
  let record: { client: MetadataMap; server: MetadataMap } | undefined;
  const handler = networkServiceHandler([
    metadata(),
    checkContext((ctx) => {
      const client = metadataOf(ctx, 'client');
      const server = metadataOf(ctx, 'server');
      client.getOrSet(key, () => 'client-value');
      server.getOrSet(key, () => 'server-value');
      record = { client, server };
    }),
  ]);
  await handler.request(req('a'), bg());
  assert.ok(record);
  assert.is.not(record?.client, record?.server);
  assert.is(record?.client.get(key), 'client-value');
  assert.is(record?.server.get(key), 'server-value');
  assert.is(record?.client.size, 1);
});

halves('MetadataMap: get, set, getOrSet, take, delete, size', () => {
  const map = new MetadataMap();
  const a = metadataKey<number>('a');
  const b = metadataKey<number>('a');
  assert.is(map.get(a), undefined);
  map.set(a, 1);
  assert.is(map.get(a), 1);
  assert.is(map.get(b), undefined, 'keys compare by identity');
  let created = 0;
  assert.is(
    map.getOrSet(a, () => ++created),
    1,
  );
  assert.is(
    map.getOrSet(b, () => ++created + 10),
    11,
  );
  assert.is(created, 1);
  assert.is(map.size, 2);
  assert.is(map.take(a), 1);
  assert.is(map.get(a), undefined);
  map.delete(b);
  assert.is(map.size, 0);
  assert.is(map.take(b), undefined);
});

halves('metadataOf without metadata in ctx throws a StatusError METADATA_MISSING', () => {
  try {
    metadataOf(bg(), 'server');
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
    if (isStatusError(error)) {
      assert.is(error.reason, 'METADATA_MISSING');
      assert.is(error.code, Code.INTERNAL);
    }
  }
});

halves('an element reading metadata without metadata() in the chain fails the Request', async () => {
  const handler = networkServiceHandler([counter([])]);
  try {
    await handler.request(req('a'), bg());
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
  }
});

halves.run();

// Type-level check that the exported record type matches what metadataOf returns.
const _typed: (record: ConnectionMetadata) => MetadataMap = (record) => record.client;
void _typed;
