import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import { Connection, Path } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError } from '../../chain/errors.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { checkRequest, injectError } from '../../testing/index.js';
import { updatePathClient, updatePathServer } from './index.js';

const bg = (): CallContext => CallContext.background();
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ID1 = '36ce7f0c-9f6d-40a4-8b39-6b56ff07eea9';
const ID2 = 'ece490ea-dfe8-4512-a3ca-5be7b39515c5';
const ID3 = 'f9a83e55-0a4f-3647-144a-98a9ee8fb231';
const CONN = '54ec76a7-d642-43ca-87bc-ab51765f575a';

/** A path over nse-1, nse-2, nse-3 (the first `count` of them) at `index`. */
function path(index: number, count: number): Path {
  const all = [
    { name: 'nse-1', id: ID1 },
    { name: 'nse-2', id: ID2 },
    { name: 'nse-3', id: ID3 },
  ];
  return Path.fromPartial({ index, pathSegments: all.slice(0, count) });
}

function req(id: string, p?: Path): NetworkServiceRequest {
  return NetworkServiceRequest.fromPartial({ connection: { id, ...(p === undefined ? {} : { path: p }) } });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
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

function assertReason(error: unknown, reason: string): void {
  assert.ok(isStatusError(error), String(error));
  if (!isStatusError(error)) return;
  assert.is(error.code, Code.INVALID_ARGUMENT);
  assert.is(error.reason, reason);
  assert.ok(error.message.startsWith('update-path: '), error.message);
}

// ---------------------------------------------------------------------------------------------------------
// The Go sample table, run against both factories.
for (const [side, factory] of [
  ['server', updatePathServer],
  ['client', updatePathClient],
] as const) {
  const machine = suite(`update-path ${side}: state machine`);
  const run = (name: string, inner: NetworkServiceElement[] = []): NetworkServiceHandler =>
    networkServiceHandler([factory(name), ...inner]);

  machine('no path, no id: one segment with a new UUID that becomes the connection id', async () => {
    const conn = await run('nse-1').request(req(''), bg());
    assert.is(conn.path?.index, 0);
    assert.is(conn.path?.pathSegments.length, 1);
    assert.is(conn.path?.pathSegments[0]?.name, 'nse-1');
    assert.match(conn.id, uuid);
    assert.is(conn.path?.pathSegments[0]?.id, conn.id);
  });

  machine('no path: segment 0 takes the connection id', async () => {
    const conn = await run('nse-1').request(req(CONN), bg());
    assert.equal(conn.path, Path.fromPartial({ index: 0, pathSegments: [{ name: 'nse-1', id: CONN }] }));
    assert.is(conn.id, CONN);
  });

  machine(
    'an empty path with a stale index restarts at 0; an absent connection is an empty one',
    async () => {
      const stale = NetworkServiceRequest.fromPartial({ connection: { id: 'x', path: { index: 4 } } });
      const conn = await run('nse-1').request(stale, bg());
      assert.equal(conn.path, Path.fromPartial({ index: 0, pathSegments: [{ name: 'nse-1', id: 'x' }] }));
      const none = await run('nse-1').request(NetworkServiceRequest.fromPartial({}), bg());
      assert.match(none.id, uuid);
      assert.is(none.path?.pathSegments[0]?.id, none.id);
    },
  );

  machine('same name, different id: the segment id wins (refresh)', async () => {
    const conn = await run('nse-2').request(req(CONN, path(1, 2)), bg());
    assert.equal(conn.path, path(1, 2));
    assert.is(conn.id, ID2);
  });

  machine('different name, connection id not the current segment id: UPDATEPATH_ID_MISMATCH', async () => {
    assertReason(
      await rejection(run('nse-3').request(req(CONN, path(1, 2)), bg())),
      'UPDATEPATH_ID_MISMATCH',
    );
  });

  machine('index past the segments: UPDATEPATH_INDEX_OUT_OF_RANGE', async () => {
    const error = await rejection(run('nse-3').request(req(ID2, path(3, 2)), bg()));
    assertReason(error, 'UPDATEPATH_INDEX_OUT_OF_RANGE');
    const atEnd = await rejection(run('nse-3').request(req(ID2, path(2, 2)), bg()));
    assertReason(atEnd, 'UPDATEPATH_INDEX_OUT_OF_RANGE');
  });

  machine('different next name: the next segment is renamed with a new UUID', async () => {
    const requestPath = path(1, 3);
    requestPath.pathSegments[2]!.name = 'different';
    let seen: Connection | undefined;
    const handler = run('nse-3', [checkRequest((r) => (seen = r.connection))]);
    const conn = await handler.request(req(ID2, requestPath), bg());
    assert.is(seen?.path?.index, 2);
    assert.is(seen?.path?.pathSegments[2]?.name, 'nse-3');
    const fresh = seen?.path?.pathSegments[2]?.id ?? '';
    assert.match(fresh, uuid);
    assert.is.not(fresh, ID3);
    assert.is(seen?.id, fresh);
    assert.is(conn.id, ID2);
    assert.is(conn.path?.index, 1);
    assert.equal(
      conn.path?.pathSegments.map((s) => s.name),
      ['nse-1', 'nse-2', 'nse-3'],
    );
    assert.is(conn.path?.pathSegments[2]?.id, fresh);
  });

  machine('no next segment: one is appended with a new UUID', async () => {
    let seen: Connection | undefined;
    const handler = run('nse-3', [checkRequest((r) => (seen = r.connection))]);
    const conn = await handler.request(req(ID2, path(1, 2)), bg());
    assert.is(seen?.path?.index, 2);
    assert.is(seen?.path?.pathSegments.length, 3);
    assert.match(seen?.id ?? '', uuid);
    assert.is(seen?.path?.pathSegments[2]?.id, seen?.id);
    assert.is(conn.id, ID2);
    assert.is(conn.path?.index, 1);
    assert.is(conn.path?.pathSegments.length, 3);
  });

  machine('same next name: the next segment and its id are reused', async () => {
    let seen: Connection | undefined;
    const handler = run('nse-3', [checkRequest((r) => (seen = r.connection))]);
    const conn = await handler.request(req(ID2, path(1, 3)), bg());
    assert.equal(seen?.path, path(2, 3));
    assert.is(seen?.id, ID3);
    assert.equal(conn.path, path(1, 3));
    assert.is(conn.id, ID2);
  });

  machine.run();
}

// ---------------------------------------------------------------------------------------------------------
const hygiene = suite('update-path: copies, Close, failures, options');

hygiene('never mutates the request nor what next returned', async () => {
  const request = deepFreeze(req(ID2, path(1, 2)));
  let returned: Connection | undefined;
  let snapshot: Connection | undefined;
  const handler = networkServiceHandler([
    updatePathServer('nse-3'),
    {
      name: 'keep',
      async request(r) {
        returned = cloneMessage(r.connection!);
        snapshot = cloneMessage(returned);
        return returned;
      },
    },
  ]);
  const conn = await handler.request(request, bg());
  assert.is.not(conn, returned);
  assert.equal(returned, snapshot);
  assert.is(returned?.path?.index, 2, 'the object next returned keeps its index');
  assert.is(conn.path?.index, 1);
  await handler.close(deepFreeze(cloneMessage(conn)), bg());
});

hygiene('Close runs the same state machine and sends this hop its own segment', async () => {
  const seen: Connection[] = [];
  const handler = networkServiceHandler([
    updatePathServer('nse-2'),
    { name: 'record', close: async (c) => void seen.push(c) },
  ]);
  const closing = Connection.fromPartial({ id: ID1, path: path(0, 3) });
  const before = cloneMessage(closing);
  await handler.close(closing, bg());
  assert.equal(closing, before);
  assert.is(seen[0]?.id, ID2);
  assert.is(seen[0]?.path?.index, 1);
  const bad = Connection.fromPartial({ id: 'other', path: path(0, 3) });
  assertReason(await rejection(handler.close(bad, bg())), 'UPDATEPATH_ID_MISMATCH');
  const out = Connection.fromPartial({ id: ID3, path: path(5, 3) });
  assertReason(await rejection(handler.close(out, bg())), 'UPDATEPATH_INDEX_OUT_OF_RANGE');
  assert.is(seen.length, 1, 'a refused Close never reaches next');
});

hygiene('a downstream failure passes through unchanged', async () => {
  const error = new Error('down');
  const handler = networkServiceHandler([updatePathServer('nse-1'), injectError({ error })]);
  assert.is(await rejection(handler.request(req(''), bg())), error);
});

hygiene('a returned path too short for the caller index is returned as is', async () => {
  const handler = networkServiceHandler([
    updatePathClient('nse-3'),
    { name: 'shrink', request: async () => Connection.fromPartial({ id: 'z', path: { index: 0 } }) },
  ]);
  const conn = await handler.request(req(ID2, path(1, 2)), bg());
  assert.is(conn.id, 'z');
  assert.is(conn.path?.index, 0);
});

hygiene('an empty or non-string name is a ConfigError', () => {
  assert.throws(
    () => updatePathServer(''),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => updatePathClient(''),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => updatePathServer(undefined as unknown as string),
    (e: unknown) => e instanceof ConfigError,
  );
});

hygiene.run();
