import { from, lastValueFrom, toArray } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
} from '../../api/gen/registry.js';
import { CallContext, contextKey } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { chain, networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import {
  nseRegistryHandler,
  nsRegistryHandler,
  type NseRegistryElement,
  type NseRegistryHandler,
  type NsRegistryElement,
} from '../../chain/registry.js';
import { checkContext, count } from '../../testing/index.js';
import {
  switchCase,
  switchCaseDefault,
  switchCaseNs,
  switchCaseNse,
  type NetworkServiceCase,
} from './index.js';

const nKey = contextKey<number>('n');
const condition =
  (n: number) =>
  (ctx: CallContext): boolean =>
    ctx.value(nKey) === n;

const bg = (): CallContext => CallContext.background();

// Go common_test.go: three conditions each true or false; the first true one wins, none gives -1.
const samples = Array.from({ length: 8 }, (_, i) => {
  const bits = [0, 1, 2].map((k) => (i >> k) & 1);
  return {
    name: `${bits.map((b) => (b === 1 ? 'true' : 'false')).join(' ')} -> ${bits.indexOf(1)}`,
    bits,
    want: bits.indexOf(1),
  };
});

const network = suite('switchcase: NetworkService (Go TestSwitchServer)');

for (const sample of samples) {
  network(sample.name, async () => {
    let actual = -1;
    const cases: NetworkServiceCase[] = sample.bits.map((bit, i) => ({
      when: condition(bit),
      then: checkContext(() => {
        actual = i;
      }),
    }));
    const counter = count();
    const handler = networkServiceHandler([switchCase(...cases), counter]);
    const ctx = bg().with(nKey, 1);
    await handler.request(NetworkServiceRequest.fromPartial({}), ctx);
    assert.is(actual, sample.want);
    assert.is(counter.requests, 1, 'the case continues into the element after the switch');
    actual = -1;
    await handler.close(Connection.create(), ctx);
    assert.is(actual, sample.want);
    assert.is(counter.closes, 1);
  });
}
network('conditions see the connection of the request and of the close', async () => {
  const seen: string[] = [];
  const handler = networkServiceHandler([
    switchCase({
      when: (_ctx, conn) => (seen.push(conn.id), false),
      then: chain(),
    }),
  ]);
  await handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'r' } }), bg());
  await handler.request(NetworkServiceRequest.fromPartial({}), bg());
  await handler.close(Connection.fromPartial({ id: 'c' }), bg());
  assert.equal(seen, ['r', '', 'c']);
});
network('a case chain runs its elements, then the rest after the switch', async () => {
  const order: string[] = [];
  const mark = (name: string): NetworkServiceElement => ({
    name,
    request: async (request, ctx, next) => (order.push(name), next.request(request, ctx)),
  });
  const handler = networkServiceHandler([
    switchCase(
      { when: (_ctx, conn) => conn.networkService === 'x', then: chain(mark('x1'), mark('x2')) },
      { when: switchCaseDefault, then: mark('default') },
    ),
    mark('after'),
  ]);
  await handler.request(NetworkServiceRequest.fromPartial({ connection: { networkService: 'x' } }), bg());
  await handler.request(NetworkServiceRequest.fromPartial({ connection: { networkService: 'y' } }), bg());
  assert.equal(order, ['x1', 'x2', 'after', 'default', 'after']);
});
network('a case element without the method passes through', async () => {
  const counter = count();
  const handler = networkServiceHandler([
    switchCase({ when: switchCaseDefault, then: { name: 'empty' } }),
    counter,
  ]);
  await handler.close(Connection.create(), bg());
  assert.is(counter.closes, 1);
});
network('no case: straight on', async () => {
  const counter = count();
  const handler = networkServiceHandler([switchCase(), counter]);
  await handler.request(NetworkServiceRequest.fromPartial({}), bg());
  assert.is(counter.requests, 1);
});
network('malformed cases are rejected at construction', () => {
  const isConfig = (e: unknown): boolean => e instanceof ConfigError;
  assert.throws(() => switchCase({ then: chain() } as never), isConfig);
  assert.throws(() => switchCase({ when: switchCaseDefault } as never), isConfig);
  assert.throws(() => switchCaseNse(undefined as never), isConfig);
});
network.run();

const registry = suite('switchcase: registries');

/** A registry element that tags what passes through it. */
function tagNse(tag: string, log: string[]): NseRegistryElement {
  return {
    name: tag,
    register: async (nse, ctx, next) => (log.push(`${tag}:register:${nse.name}`), next.register(nse, ctx)),
    find: (query, ctx, next) => (
      log.push(`${tag}:find:${query.networkServiceEndpoint?.name ?? '-'}`),
      next.find(query, ctx)
    ),
    unregister: async (nse, ctx, next) => (
      log.push(`${tag}:unregister:${nse.name}`),
      next.unregister(nse, ctx)
    ),
  };
}

registry('NSE: register, find and unregister go to the case the entry or query selects', async () => {
  const log: string[] = [];
  const tail: NseRegistryHandler = {
    register: async (nse) => (log.push(`tail:register:${nse.name}`), nse),
    find: (query) => from([{ networkServiceEndpoint: query.networkServiceEndpoint, deleted: false }]),
    unregister: async () => void log.push('tail:unregister'),
  };
  const handler = nseRegistryHandler(
    [
      switchCaseNse({ when: (_ctx, nse) => nse.name.startsWith('local-'), then: tagNse('local', log) }),
      tagNse('after', log),
    ],
    tail,
  );
  const local = NetworkServiceEndpoint.fromPartial({ name: 'local-1' });
  const remote = NetworkServiceEndpoint.fromPartial({ name: 'remote-1' });
  await handler.register(local, bg());
  await handler.register(remote, bg());
  const found = await lastValueFrom(
    handler
      .find(NetworkServiceEndpointQuery.fromPartial({ networkServiceEndpoint: { name: 'local-2' } }), bg())
      .pipe(toArray()),
  );
  assert.is(found.length, 1);
  await handler.unregister(remote, bg());
  assert.equal(log, [
    'local:register:local-1',
    'after:register:local-1',
    'tail:register:local-1',
    'after:register:remote-1',
    'tail:register:remote-1',
    'local:find:local-2',
    'after:find:local-2',
    'after:unregister:remote-1',
    'tail:unregister',
  ]);
});
registry('NSE: a Find without an endpoint template is tested against an empty endpoint', async () => {
  const seen: string[] = [];
  const handler = nseRegistryHandler([
    switchCaseNse({ when: (_ctx, nse) => (seen.push(`[${nse.name}]`), false), then: { name: 'x' } }),
  ]);
  await lastValueFrom(handler.find(NetworkServiceEndpointQuery.fromPartial({}), bg()).pipe(toArray()));
  assert.equal(seen, ['[]']);
});
registry('NS: the entry and the query service select the case', async () => {
  const log: string[] = [];
  const tag: NsRegistryElement = {
    name: 'tag',
    register: async (ns, ctx, next) => (log.push(`register:${ns.name}`), next.register(ns, ctx)),
    find: (query, ctx, next) => (log.push(`find:${query.networkService?.name ?? ''}`), next.find(query, ctx)),
    unregister: async (ns, ctx, next) => (log.push(`unregister:${ns.name}`), next.unregister(ns, ctx)),
  };
  const handler = nsRegistryHandler([switchCaseNs({ when: (_ctx, ns) => ns.payload === 'IP', then: tag })]);
  await handler.register(NetworkService.fromPartial({ name: 'a', payload: 'IP' }), bg());
  await handler.register(NetworkService.fromPartial({ name: 'b' }), bg());
  await lastValueFrom(
    handler
      .find(NetworkServiceQuery.fromPartial({ networkService: { name: 'q', payload: 'IP' } }), bg())
      .pipe(toArray()),
  );
  await lastValueFrom(handler.find(NetworkServiceQuery.fromPartial({}), bg()).pipe(toArray()));
  await handler.unregister(NetworkService.fromPartial({ name: 'c', payload: 'IP' }), bg());
  assert.equal(log, ['register:a', 'find:q', 'unregister:c']);
});
registry.run();
