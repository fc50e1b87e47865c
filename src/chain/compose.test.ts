import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import {
  Connection,
  ConnectionEvent,
  ConnectionEventType,
  MonitorScopeSelector,
} from '../api/gen/connection.js';
import { NetworkServiceRequest } from '../api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
  type NetworkServiceResponse,
} from '../api/gen/registry.js';
import { CallContext, contextKey } from './context.js';
import { monitorChain, monitorHandler, monitorTail, type MonitorElement } from './monitor.js';
import {
  chain,
  networkServiceHandler,
  networkServiceTail,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from './network-service.js';
import {
  nseRegistryHandler,
  nseRegistryTail,
  nsRegistryChain,
  nsRegistryHandler,
  nsRegistryTail,
  type NsRegistryElement,
} from './registry.js';

const bg = (): CallContext => CallContext.background();
const req = (id = 'c1'): NetworkServiceRequest => NetworkServiceRequest.fromPartial({ connection: { id } });

/** An element that logs `(n` on entry and `n)` on the way back, for both methods. */
function visit(log: string[], n: string): NetworkServiceElement {
  return {
    name: `visit-${n}`,
    async request(request, ctx, next) {
      log.push(`(${n}`);
      try {
        return await next.request(request, ctx);
      } finally {
        log.push(`${n})`);
      }
    },
    async close(connection, ctx, next) {
      log.push(`(${n}`);
      try {
        await next.close(connection, ctx);
      } finally {
        log.push(`${n})`);
      }
    },
  };
}

/** A terminal element that logs `…` and stops the chain. */
function bottom(log: string[]): NetworkServiceElement {
  return {
    name: 'bottom',
    request(request) {
      log.push('…');
      return Promise.resolve(request.connection ?? Connection.create());
    },
    close() {
      log.push('…');
      return Promise.resolve();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
const nesting = suite('compose: nesting order');

nesting('three nested chains unwind as (1 (2 (3 … 3) 2) 1) for request and close', async () => {
  const log: string[] = [];
  const handler = networkServiceHandler([
    visit(log, '1'),
    chain(visit(log, '2'), chain(visit(log, '3'), chain(bottom(log)))),
  ]);
  const expected = ['(1', '(2', '(3', '…', '3)', '2)', '1)'];
  await handler.request(req(), bg());
  assert.equal(log, expected);
  log.length = 0;
  await handler.close(Connection.fromPartial({ id: 'c1' }), bg());
  assert.equal(log, expected);
});

nesting('a nested chain continues into the outer chain remaining elements', async () => {
  const log: string[] = [];
  const handler = networkServiceHandler([
    visit(log, 'a'),
    chain(visit(log, 'b'), chain(visit(log, 'c'), visit(log, 'd'))),
    visit(log, 'e'),
    bottom(log),
  ]);
  await handler.request(req(), bg());
  assert.equal(log, ['(a', '(b', '(c', '(d', '(e', '…', 'e)', 'd)', 'c)', 'b)', 'a)']);
  log.length = 0;
  await handler.close(Connection.fromPartial({ id: 'c1' }), bg());
  assert.equal(log, ['(a', '(b', '(c', '(d', '(e', '…', 'e)', 'd)', 'c)', 'b)', 'a)']);
});

nesting('empty chains pass through, at any position and depth', async () => {
  const log: string[] = [];
  const handler = networkServiceHandler([
    chain(),
    visit(log, '1'),
    chain(chain(), visit(log, '2'), chain()),
    chain(chain(chain())),
    bottom(log),
  ]);
  await handler.request(req(), bg());
  assert.equal(log, ['(1', '(2', '…', '2)', '1)']);
  const empty = networkServiceHandler([chain()]);
  const r = req('x');
  assert.is(await empty.request(r, bg()), r.connection);
});

nesting('a single-element chain behaves like the element itself', async () => {
  const log: string[] = [];
  const handler = networkServiceHandler([chain(visit(log, '1')), bottom(log)]);
  await handler.request(req(), bg());
  assert.equal(log, ['(1', '…', '1)']);
});

nesting.run();

// ---------------------------------------------------------------------------------------------------------
const tail = suite('compose: network service tail');

tail('the tail returns the request connection unchanged (same object) and Close resolves', async () => {
  const r = NetworkServiceRequest.fromPartial({
    connection: { id: 'c1', networkService: 'ns', labels: { a: 'b' } },
  });
  const handler = networkServiceHandler([]);
  const conn = await handler.request(r, bg());
  assert.is(conn, r.connection);
  assert.equal(conn, Connection.fromPartial({ id: 'c1', networkService: 'ns', labels: { a: 'b' } }));
  assert.is(await handler.close(conn, bg()), undefined);
  assert.is(await networkServiceTail.request(r, bg()), r.connection);
});

tail('the tail returns an empty connection when the request has none', async () => {
  const conn = await networkServiceTail.request(NetworkServiceRequest.fromPartial({}), bg());
  assert.equal(conn, Connection.create());
});

tail('a chain ends in the tail after its last element', async () => {
  const log: string[] = [];
  const handler = networkServiceHandler([visit(log, '1'), chain(visit(log, '2'))]);
  const r = req('z');
  assert.is(await handler.request(r, bg()), r.connection);
  assert.equal(log, ['(1', '(2', '2)', '1)']);
});

tail('a custom tail is used instead of the NSM tail', async () => {
  const custom: NetworkServiceHandler = {
    request: () => Promise.resolve(Connection.fromPartial({ id: 'from-tail' })),
    close: () => Promise.resolve(),
  };
  const handler = networkServiceHandler([chain(chain())], custom);
  assert.is((await handler.request(req(), bg())).id, 'from-tail');
});

tail.run();

// ---------------------------------------------------------------------------------------------------------
const errors = suite('compose: errors unwind');

errors('an element throwing mid-chain unwinds through earlier elements; later ones never run', async () => {
  const log: string[] = [];
  const boom = new Error('boom');
  const seen: unknown[] = [];
  const catcher = (n: string): NetworkServiceElement => ({
    name: `catch-${n}`,
    async request(request, ctx, next) {
      log.push(`(${n}`);
      try {
        return await next.request(request, ctx);
      } catch (error) {
        seen.push([n, error]);
        throw error;
      } finally {
        log.push(`${n})`);
      }
    },
    async close(connection, ctx, next) {
      log.push(`(${n}`);
      try {
        await next.close(connection, ctx);
      } catch (error) {
        seen.push([n, error]);
        throw error;
      } finally {
        log.push(`${n})`);
      }
    },
  });
  const thrower: NetworkServiceElement = {
    name: 'thrower',
    request: () => {
      log.push('throw');
      return Promise.reject(boom);
    },
    close: () => {
      log.push('throw');
      return Promise.reject(boom);
    },
  };
  const handler = networkServiceHandler([
    catcher('1'),
    chain(catcher('2'), chain(thrower, visit(log, 'never'))),
    visit(log, 'never-outer'),
  ]);
  try {
    await handler.request(req(), bg());
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is(error, boom);
  }
  assert.equal(log, ['(1', '(2', 'throw', '2)', '1)']);
  assert.equal(seen, [
    ['2', boom],
    ['1', boom],
  ]);
  log.length = 0;
  seen.length = 0;
  try {
    await handler.close(Connection.fromPartial({ id: 'c1' }), bg());
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is(error, boom);
  }
  assert.equal(log, ['(1', '(2', 'throw', '2)', '1)']);
  assert.equal(seen.length, 2);
});

errors('a synchronous throw inside an async element becomes a rejection', async () => {
  const handler = networkServiceHandler([
    chain({
      name: 'sync-throw',

      async request() {
        throw new Error('sync');
      },
    }),
  ]);
  try {
    await handler.request(req(), bg());
    assert.unreachable();
  } catch (error) {
    assert.instance(error, Error);
    assert.is((error as Error).message, 'sync');
  }
});

errors.run();

// ---------------------------------------------------------------------------------------------------------
const passthrough = suite('compose: elements without a method pass through');

passthrough('request-only and close-only elements, and a name-only element', async () => {
  const log: string[] = [];
  const requestOnly: NetworkServiceElement = {
    name: 'request-only',
    request(request, ctx, next) {
      log.push('R');
      return next.request(request, ctx);
    },
  };
  const closeOnly: NetworkServiceElement = {
    name: 'close-only',
    close(connection, ctx, next) {
      log.push('C');
      return next.close(connection, ctx);
    },
  };
  const nameOnly: NetworkServiceElement = { name: 'nothing' };
  const handler = networkServiceHandler([
    requestOnly,
    chain(closeOnly, nameOnly),
    nameOnly,
    chain(nameOnly, nameOnly),
    bottom(log),
  ]);
  await handler.request(req(), bg());
  assert.equal(log, ['R', '…']);
  log.length = 0;
  await handler.close(Connection.fromPartial({ id: 'c1' }), bg());
  assert.equal(log, ['C', '…']);
});

passthrough.run();

// ---------------------------------------------------------------------------------------------------------
const reuse = suite('compose: one nested chain under different outer nexts');

reuse('the same nested chain routes to the right outer rest for each parent (cache per next)', async () => {
  const log: string[] = [];
  const shared = chain(visit(log, 's1'), visit(log, 's2'));
  const left = networkServiceHandler([visit(log, 'L'), shared, visit(log, 'Lrest'), bottom(log)]);
  const right = networkServiceHandler([shared, visit(log, 'Rrest'), bottom(log)]);
  for (let i = 0; i < 2; i++) {
    log.length = 0;
    await left.request(req(), bg());
    assert.equal(log, ['(L', '(s1', '(s2', '(Lrest', '…', 'Lrest)', 's2)', 's1)', 'L)']);
    log.length = 0;
    await right.request(req(), bg());
    assert.equal(log, ['(s1', '(s2', '(Rrest', '…', 'Rrest)', 's2)', 's1)']);
    log.length = 0;
    await right.close(Connection.fromPartial({ id: 'c1' }), bg());
    assert.equal(log, ['(s1', '(s2', '(Rrest', '…', 'Rrest)', 's2)', 's1)']);
  }
  // Directly as the only element, too: the tail is its next.
  log.length = 0;
  const alone = networkServiceHandler([shared]);
  const r = req('alone');
  assert.is(await alone.request(r, bg()), r.connection);
  assert.equal(log, ['(s1', '(s2', 's2)', 's1)']);
});

reuse('a next created per call (adapter style) routes to each call own next', async () => {
  const log: string[] = [];
  const shared = chain(visit(log, 's1'), visit(log, 's2'));
  for (const name of ['x', 'y', 'z']) {
    log.length = 0;
    const handler = networkServiceHandler([shared], {
      request: (request) => {
        log.push(name);
        return Promise.resolve(request.connection ?? Connection.create());
      },
      close: () => Promise.resolve(),
    });
    await handler.request(req(), bg());
    assert.equal(log, ['(s1', '(s2', name, 's2)', 's1)']);
  }
});

reuse.run();

// ---------------------------------------------------------------------------------------------------------
const values = suite('compose: context values cross chain boundaries');

values('a value set by an outer element is visible in nested chains and the outer rest', async () => {
  const key = contextKey<string>('test/value');
  const other = contextKey<string>('test/inner');
  const seen: (string | undefined)[] = [];
  const setter = (k: typeof key, v: string): NetworkServiceElement => ({
    name: 'set',
    request: (request, ctx, next) => next.request(request, ctx.with(k, v)),
    close: (connection, ctx, next) => next.close(connection, ctx.with(k, v)),
  });
  const reader: NetworkServiceElement = {
    name: 'read',
    request(request, ctx, next) {
      seen.push(`${ctx.value(key)}/${ctx.value(other)}`);
      return next.request(request, ctx);
    },
    close(connection, ctx, next) {
      seen.push(`${ctx.value(key)}/${ctx.value(other)}`);
      return next.close(connection, ctx);
    },
  };
  const handler = networkServiceHandler([
    setter(key, 'outer'),
    chain(reader, chain(reader, setter(other, 'inner'), chain(reader, setter(key, 'shadow')))),
    reader,
  ]);
  await handler.request(req(), bg());
  assert.equal(seen, ['outer/undefined', 'outer/undefined', 'outer/inner', 'shadow/inner']);
  seen.length = 0;
  await handler.close(Connection.fromPartial({ id: 'c1' }), bg());
  assert.equal(seen, ['outer/undefined', 'outer/undefined', 'outer/inner', 'shadow/inner']);
});

values.run();

// ---------------------------------------------------------------------------------------------------------
const monitor = suite('compose: monitor chains');

const event = (id: string): ConnectionEvent =>
  ConnectionEvent.fromPartial({
    type: ConnectionEventType.INITIAL_STATE_TRANSFER,
    connections: { [id]: { id } },
  });

monitor('the monitor tail is an empty stream that completes at once', async () => {
  const selector = MonitorScopeSelector.fromPartial({});
  const all = await lastValueFrom(monitorTail.monitorConnections(selector, bg()).pipe(toArray()));
  assert.equal(all, []);
  const handler = monitorHandler([monitorChain(), monitorChain(monitorChain())]);
  assert.equal(await lastValueFrom(handler.monitorConnections(selector, bg()).pipe(toArray())), []);
});

monitor('nested monitor chains run in order and continue into the outer rest', async () => {
  const log: string[] = [];
  const step = (n: string): MonitorElement => ({
    name: n,
    monitorConnections(selector, ctx, next) {
      log.push(n);
      return next.monitorConnections(selector, ctx);
    },
  });
  const source: MonitorElement = {
    name: 'source',
    monitorConnections() {
      log.push('source');
      return of(event('m1'));
    },
  };
  const handler = monitorHandler([
    step('1'),
    monitorChain(step('2'), monitorChain(step('3'))),
    step('4'),
    source,
  ]);
  const got = await firstValueFrom(handler.monitorConnections(MonitorScopeSelector.fromPartial({}), bg()));
  assert.equal(log, ['1', '2', '3', '4', 'source']);
  assert.equal(Object.keys(got.connections), ['m1']);
});

monitor.run();

// ---------------------------------------------------------------------------------------------------------
const registry = suite('compose: registry chains');

registry(
  'registry tails: register returns input, find emits nothing and completes, unregister resolves',
  async () => {
    const ns = NetworkService.fromPartial({ name: 'ns-1' });
    assert.is(await nsRegistryTail.register(ns, bg()), ns);
    assert.equal(
      await lastValueFrom(nsRegistryTail.find(NetworkServiceQuery.fromPartial({}), bg()).pipe(toArray())),
      [],
    );
    assert.is(await nsRegistryTail.unregister(ns, bg()), undefined);

    const nse = NetworkServiceEndpoint.fromPartial({ name: 'nse-1' });
    const handler = nseRegistryHandler([]);
    assert.is(await handler.register(nse, bg()), nse);
    assert.equal(
      await lastValueFrom(
        handler.find(NetworkServiceEndpointQuery.fromPartial({ watch: true }), bg()).pipe(toArray()),
      ),
      [],
    );
    assert.is(await handler.unregister(nse, bg()), undefined);
    assert.is(await nseRegistryTail.register(nse, bg()), nse);
  },
);

registry('nested registry chains nest and unwind in order for register, find and unregister', async () => {
  const log: string[] = [];
  const step = (n: string): NsRegistryElement => ({
    name: n,
    async register(entry, ctx, next) {
      log.push(`(${n}`);
      try {
        return await next.register(entry, ctx);
      } finally {
        log.push(`${n})`);
      }
    },
    find(query, ctx, next) {
      log.push(n);
      return next.find(query, ctx);
    },
    async unregister(entry, ctx, next) {
      log.push(`(${n}`);
      try {
        await next.unregister(entry, ctx);
      } finally {
        log.push(`${n})`);
      }
    },
  });
  const handler = nsRegistryHandler([
    step('1'),
    nsRegistryChain(step('2'), nsRegistryChain(step('3'))),
    step('4'),
  ]);
  const ns = NetworkService.fromPartial({ name: 'ns' });
  assert.is(await handler.register(ns, bg()), ns);
  assert.equal(log, ['(1', '(2', '(3', '(4', '4)', '3)', '2)', '1)']);
  log.length = 0;
  const found: NetworkServiceResponse[] = await lastValueFrom(
    handler.find(NetworkServiceQuery.fromPartial({}), bg()).pipe(toArray()),
  );
  assert.equal(found, []);
  assert.equal(log, ['1', '2', '3', '4']);
  log.length = 0;
  await handler.unregister(ns, bg());
  assert.equal(log, ['(1', '(2', '(3', '(4', '4)', '3)', '2)', '1)']);
});

registry('a registry element that omits find passes the stream through', async () => {
  const registerOnly: NsRegistryElement = {
    name: 'register-only',
    register: (entry, ctx, next) => next.register({ ...entry, payload: 'IP' }, ctx),
  };
  const handler = nsRegistryHandler([nsRegistryChain(registerOnly, registerOnly)], {
    ...nsRegistryTail,
    find: () =>
      of({
        networkService: NetworkService.fromPartial({ name: 'x' }),
        deleted: false,
      } as NetworkServiceResponse),
  });
  const found = await lastValueFrom(handler.find(NetworkServiceQuery.fromPartial({}), bg()).pipe(toArray()));
  assert.is(found.length, 1);
  assert.is(found[0]?.networkService?.name, 'x');
  assert.is((await handler.register(NetworkService.fromPartial({ name: 'n' }), bg())).payload, 'IP');
});

registry.run();
