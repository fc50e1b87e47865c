import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, State } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { count, injectError } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { beginClient, beginServer } from './index.js';

const bg = (): CallContext => CallContext.background();
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const req = (id: string, extra: Partial<Connection> = {}): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { ...extra, id } });

/** A small deterministic PRNG (mulberry32), so a failing interleaving can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records per-id call order and overlapping calls of one id; yields 0–3 macrotasks at random inside each call. */
function recorder(random: () => number): NetworkServiceElement & {
  readonly order: Map<string, string[]>;
  readonly overlaps: string[];
} {
  const order = new Map<string, string[]>();
  const inFlight = new Map<string, number>();
  const overlaps: string[] = [];
  const enter = (id: string, what: string): void => {
    const list = order.get(id) ?? [];
    list.push(what);
    order.set(id, list);
    const n = (inFlight.get(id) ?? 0) + 1;
    inFlight.set(id, n);
    if (n > 1) overlaps.push(id);
  };
  const leave = (id: string): void => {
    inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
  };
  const pause = async (): Promise<void> => {
    const n = Math.floor(random() * 4);
    for (let i = 0; i < n; i++) await flush();
  };
  return {
    name: 'recorder',
    order,
    overlaps,
    async request(request, ctx, next) {
      const id = request.connection?.id ?? '';
      enter(id, 'R');
      try {
        await pause();
        return await next.request(request, ctx);
      } finally {
        leave(id);
      }
    },
    async close(connection, ctx, next) {
      enter(connection.id, 'C');
      try {
        await pause();
        await next.close(connection, ctx);
      } finally {
        leave(connection.id);
      }
    },
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

// ---------------------------------------------------------------------------------------------------------
const emptyId = suite('begin server: empty id');

emptyId(
  'an empty or missing connection id fails with INVALID_ARGUMENT BEGIN_EMPTY_ID; next is not called',
  async () => {
    for (const begin of [beginServer(), beginClient()]) {
      const counter = count();
      const handler = networkServiceHandler([begin, counter]);
      for (const request of [req(''), NetworkServiceRequest.fromPartial({})]) {
        const error = await rejection(handler.request(request, bg()));
        assert.ok(isStatusError(error));
        if (isStatusError(error)) {
          assert.is(error.code, Code.INVALID_ARGUMENT);
          assert.is(error.reason, 'BEGIN_EMPTY_ID');
        }
      }
      assert.is(counter.requests, 0);
      assert.is(begin.size, 0);
    }
  },
);

emptyId.run();

// ---------------------------------------------------------------------------------------------------------
const ordering = suite('begin server: per-id serialization and FIFO');

ordering(
  '1000 ids x Request, Close, Request, Close fired at once: per-id order kept, no overlap, nothing left',
  async () => {
    const begin = beginServer();
    const meta = metadata();
    const rec = recorder(prng(1));
    const handler = networkServiceHandler([begin, meta, rec]);
    const ids = Array.from({ length: 1000 }, (_, i) => `conn-${i}`);
    const calls: Promise<unknown>[] = [];
    for (const id of ids) {
      calls.push(handler.request(req(id), bg()));
      calls.push(handler.close(Connection.fromPartial({ id }), bg()));
      calls.push(handler.request(req(id), bg()));
      calls.push(handler.close(Connection.fromPartial({ id }), bg()));
    }
    await Promise.all(calls);
    assert.equal(rec.overlaps, []);
    const wrong = ids.filter((id) => (rec.order.get(id) ?? []).join('') !== 'RCRC');
    assert.equal(
      wrong.slice(0, 3).map((id) => `${id}: ${(rec.order.get(id) ?? []).join('')}`),
      [],
      `${wrong.length} ids saw another order than RCRC`,
    );
    assert.is(begin.size, 0, 'begin still tracks connections after all closes');
    assert.is(meta.size, 0, 'metadata still holds records after all closes');
  },
);

ordering('Requests and Closes interleaved across ids in rounds keep per-id order', async () => {
  const begin = beginServer();
  const rec = recorder(prng(2));
  const handler = networkServiceHandler([begin, rec]);
  const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
  const calls: Promise<unknown>[] = [];
  for (const what of ['R', 'R', 'R', 'C']) {
    for (const id of ids) {
      calls.push(
        what === 'R' ? handler.request(req(id), bg()) : handler.close(Connection.fromPartial({ id }), bg()),
      );
    }
  }
  await Promise.all(calls);
  assert.equal(rec.overlaps, []);
  for (const id of ids) assert.equal(rec.order.get(id), ['R', 'R', 'R', 'C'], id);
  assert.is(begin.size, 0);
});

ordering('1000 concurrent Request-then-Close tasks over 20 ids never overlap and leave nothing', async () => {
  const begin = beginServer();
  const meta = metadata();
  const rec = recorder(prng(3));
  const handler = networkServiceHandler([begin, meta, rec]);
  const tasks = Array.from({ length: 1000 }, async (_, i) => {
    const conn = await handler.request(req(`${i % 20}`), bg());
    await handler.close(conn, bg());
  });
  await Promise.all(tasks);
  assert.equal(rec.overlaps, []);
  assert.is(begin.size, 0);
  assert.is(meta.size, 0);
});

ordering.run();

// ---------------------------------------------------------------------------------------------------------
const closing = suite('begin server: Close');

/** Marks the request on the way down and checks the mark on Close (NSM's markServer). */
function marker(seen: Connection[]): NetworkServiceElement {
  return {
    name: 'marker',
    request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      const context = connection.context ?? {
        extraContext: {},
        ipContext: undefined,
        dnsContext: undefined,
        ethernetContext: undefined,
        MTU: 0,
      };
      return next.request(
        {
          ...request,
          connection: {
            ...connection,
            context: { ...context, extraContext: { ...context.extraContext, mark: 'mark' } },
          },
        },
        ctx,
      );
    },
    close(connection, ctx, next) {
      seen.push(connection);
      return next.close(connection, ctx);
    },
  };
}

closing('Close always uses the last returned connection, not the caller copy', async () => {
  const seen: Connection[] = [];
  const handler = networkServiceHandler([beginServer(), marker(seen)]);
  const conn = await handler.request(req('1'), bg());
  assert.is(conn.context?.extraContext['mark'], 'mark');
  const modified = structuredClone(conn);
  delete modified.context?.extraContext['mark'];
  modified.networkServiceEndpointName = 'caller-changed';
  await handler.close(modified, bg());
  assert.is(seen.length, 1);
  assert.is(seen[0]?.context?.extraContext['mark'], 'mark');
  assert.is(seen[0]?.networkServiceEndpointName, '');
  assert.is(seen[0]?.state, State.UP);
});

closing('Close uses the connection of the latest successful refresh', async () => {
  const seen: Connection[] = [];
  let n = 0;
  const versioned: NetworkServiceElement = {
    name: 'versioned',
    request: (request) =>
      Promise.resolve({ ...(request.connection ?? Connection.create()), payload: `v${++n}` }),
    close(connection) {
      seen.push(connection);
      return Promise.resolve();
    },
  };
  const handler = networkServiceHandler([beginServer(), versioned]);
  const first = await handler.request(req('1'), bg());
  await handler.request(req('1'), bg());
  await handler.close(first, bg());
  assert.equal(
    seen.map((c) => c.payload),
    ['v2'],
  );
});

closing('Close of an unknown id does not call next', async () => {
  const counter = count();
  const begin = beginServer();
  const handler = networkServiceHandler([begin, counter]);
  await handler.close(Connection.fromPartial({ id: 'unknown' }), bg());
  assert.is(counter.closes, 0);
  assert.is(begin.size, 0);
});

closing('a second Close does not call next again', async () => {
  const counter = count();
  const handler = networkServiceHandler([beginServer(), counter]);
  const conn = await handler.request(req('1'), bg());
  await handler.close(conn, bg());
  await handler.close(conn, bg());
  assert.is(counter.closes, 1);
});

closing('a failed first Request leaves nothing; a Close after it does not call next', async () => {
  const counter = count();
  const begin = beginServer();
  const handler = networkServiceHandler([begin, counter, injectError({ requestCalls: [1] })]);
  await rejection(handler.request(req('1'), bg()));
  assert.is(begin.size, 0);
  await handler.close(Connection.fromPartial({ id: '1' }), bg());
  assert.is(counter.closes, 0);
  // The id is usable again afterwards.
  await handler.request(req('1'), bg());
  assert.is(begin.size, 1);
});

closing('a Close queued behind a failing first Request does not call next', async () => {
  const counter = count();
  const begin = beginServer();
  const handler = networkServiceHandler([begin, counter, injectError({ requestCalls: [1] })]);
  const failed = rejection(handler.request(req('1'), bg()));
  const closed = handler.close(Connection.fromPartial({ id: '1' }), bg());
  await failed;
  await closed;
  assert.is(counter.closes, 0);
  assert.is(begin.size, 0);
});

closing('a failed refresh keeps the connection established; a later Close reaches next', async () => {
  const counter = count();
  const begin = beginServer();
  const handler = networkServiceHandler([begin, counter, injectError({ requestCalls: [2] })]);
  const conn = await handler.request(req('1'), bg());
  await rejection(handler.request(req('1'), bg()));
  assert.is(begin.size, 1);
  await handler.close(conn, bg());
  assert.is(counter.closes, 1);
  assert.is(begin.size, 0);
});

closing('a failing Close still frees the entry and rejects', async () => {
  const counter = count();
  const begin = beginServer();
  const handler = networkServiceHandler([begin, counter, injectError({ requestCalls: [], closeCalls: [1] })]);
  const conn = await handler.request(req('1'), bg());
  const error = await rejection(handler.close(conn, bg()));
  assert.instance(error, Error);
  assert.is(begin.size, 0);
});

closing.run();

// ---------------------------------------------------------------------------------------------------------
const server = suite('begin server: response state and reselect');

server('the returned connection has state UP whatever next returned', async () => {
  const down: NetworkServiceElement = {
    name: 'down',
    request: (request) =>
      Promise.resolve({ ...(request.connection ?? Connection.create()), state: State.DOWN }),
  };
  const handler = networkServiceHandler([beginServer(), down]);
  const conn = await handler.request(req('1', { state: State.REFRESH_REQUESTED }), bg());
  assert.is(conn.state, State.UP);
});

server(
  'RESELECT_REQUESTED for an established connection closes the stored connection first, then requests',
  async () => {
    const log: string[] = [];
    const endpoint: NetworkServiceElement = {
      name: 'endpoint',
      request(request) {
        const connection = request.connection ?? Connection.create();
        log.push(`request ${connection.networkServiceEndpointName} state=${connection.state}`);
        return Promise.resolve({
          ...connection,
          networkServiceEndpointName: connection.networkServiceEndpointName || 'nse-old',
        });
      },
      close(connection) {
        log.push(`close ${connection.networkServiceEndpointName} state=${connection.state}`);
        return Promise.resolve();
      },
    };
    const begin = beginServer();
    const handler = networkServiceHandler([begin, endpoint]);
    await handler.request(req('1'), bg());
    const conn = await handler.request(
      req('1', { networkServiceEndpointName: 'nse-new', state: State.RESELECT_REQUESTED }),
      bg(),
    );
    assert.equal(log, [
      `request  state=${State.UP}`,
      `close nse-old state=${State.UP}`,
      `request nse-new state=${State.RESELECT_REQUESTED}`,
    ]);
    assert.is(conn.networkServiceEndpointName, 'nse-new');
    assert.is(conn.state, State.UP);
    assert.is(begin.size, 1);
    // A Close afterwards closes the new path.
    log.length = 0;
    await handler.close(Connection.fromPartial({ id: '1' }), bg());
    assert.equal(log, [`close nse-new state=${State.UP}`]);
  },
);

server('RESELECT_REQUESTED on a new connection does not close anything', async () => {
  const counter = count();
  const handler = networkServiceHandler([beginServer(), counter]);
  await handler.request(req('1', { state: State.RESELECT_REQUESTED }), bg());
  assert.is(counter.closes, 0);
  assert.is(counter.requests, 1);
});

server('an error closing the old path on reselect is ignored', async () => {
  const counter = count();
  const handler = networkServiceHandler([
    beginServer(),
    counter,
    injectError({ requestCalls: [], closeCalls: [1] }),
  ]);
  await handler.request(req('1'), bg());
  const conn = await handler.request(req('1', { state: State.RESELECT_REQUESTED }), bg());
  assert.is(conn.state, State.UP);
  assert.is(counter.closes, 1);
  assert.is(counter.requests, 2);
});

server.run();

// ---------------------------------------------------------------------------------------------------------
const nested = suite('begin: client begin nested in a server chain');

nested('a client begin after beginServer passes straight through', async () => {
  const server = beginServer();
  const client = beginClient();
  const rec = recorder(prng(4));
  const handler = networkServiceHandler([server, client, rec]);
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 3; i++) {
    calls.push(handler.request(req('1'), bg()));
    calls.push(handler.request(req('2'), bg()));
  }
  await Promise.all(calls);
  assert.is(client.size, 0);
  assert.is(server.size, 2);
  assert.equal(rec.overlaps, []);
  await handler.close(Connection.fromPartial({ id: '1' }), bg());
  await handler.close(Connection.fromPartial({ id: '2' }), bg());
  assert.equal(rec.order.get('1'), ['R', 'R', 'R', 'C']);
  assert.is(client.size, 0);
  assert.is(server.size, 0);
});

nested.run();
