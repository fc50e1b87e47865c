import { from, throwError, type Observable } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, State } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type DeepPartial,
  type NetworkServiceEndpointQuery,
  type NetworkServiceEndpointResponse,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { clientUrlOf } from '../../chain/client-url.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { metadata } from '../metadata/index.js';
import { matchNetworkServiceEndpoints, matchNetworkServices } from '../match-utils/index.js';
import { discoverForwarderServer, type DiscoverForwarderServerOptions } from './index.js';

function nsRegistry(entries: DeepPartial<NetworkService>[]): NsRegistryHandler {
  const list = entries.map((e) => NetworkService.fromPartial(e));
  return {
    register: async (ns) => ns,
    find(query): Observable<NetworkServiceResponse> {
      const q = query.networkService ?? NetworkService.create();
      return from(
        list
          .filter((ns) => matchNetworkServices(q, ns))
          .map((ns) => ({ networkService: ns, deleted: false })),
      );
    },
    unregister: async () => undefined,
  };
}

/** Array-backed NSE registry that records its queries. */
function nseRegistry(entries: DeepPartial<NetworkServiceEndpoint>[]) {
  const list = entries.map((e) => NetworkServiceEndpoint.fromPartial(e));
  const queries: NetworkServiceEndpointQuery[] = [];
  const handler: NseRegistryHandler & { list: NetworkServiceEndpoint[]; queries: typeof queries } = {
    list,
    queries,
    register: async (nse) => nse,
    find(query): Observable<NetworkServiceEndpointResponse> {
      queries.push(query);
      const q = query.networkServiceEndpoint ?? NetworkServiceEndpoint.create();
      const hits = list.filter((nse) => matchNetworkServiceEndpoints(q, nse));
      return from(hits.map((nse) => ({ networkServiceEndpoint: nse, deleted: false })));
    },
    unregister: async () => undefined,
  };
  return handler;
}

const nsmgrUrl = 'tcp://nsmgr-1:5001';
const forwarder = (name: string, labels: Record<string, string> = { p2p: 'true' }) => ({
  name,
  url: `${nsmgrUrl}/${name}`,
  networkServiceNames: ['forwarder'],
  networkServiceLabels: { forwarder: { labels } },
});

/** Records each attempt's forwarder URL; fails for the listed URLs. */
function downstream(
  failing: readonly string[] = [],
): NetworkServiceElement & { urls: (string | undefined)[] } {
  const urls: (string | undefined)[] = [];
  return {
    name: 'downstream',
    urls,
    async request(request, ctx, next) {
      const url = clientUrlOf(ctx);
      urls.push(url);
      if (url !== undefined && failing.includes(url)) throw new Error(`${url} failed`);
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      urls.push(clientUrlOf(ctx));
      return next.close(connection, ctx);
    },
  };
}

function harness(
  fwds: DeepPartial<NetworkServiceEndpoint>[],
  failing: readonly string[] = [],
  services: DeepPartial<NetworkService>[] = [{ name: 'svc' }],
  extra: Partial<DiscoverForwarderServerOptions> = {},
) {
  const nse = nseRegistry(fwds);
  const down = downstream(failing);
  const handler = networkServiceHandler([
    metadata(),
    discoverForwarderServer({ nsRegistry: nsRegistry(services), nseRegistry: nse, nsmgrUrl, ...extra }),
    down,
  ]);
  return { handler, nse, down };
}

const request = (connection: DeepPartial<Connection> = {}): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id: 'c1', networkService: 'svc', ...connection } });
const bg = (): CallContext => CallContext.background();
const url = (name: string): string => `${nsmgrUrl}/${name}`;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function assertStatus(error: unknown, code: number, reason: string): void {
  assert.ok(isStatusError(error), `not a StatusError: ${String(error)}`);
  assert.is(error.code, code);
  assert.is(error.reason, reason);
  assert.match(error.message, /^discoverforwarder: /);
}

const select = suite('discoverforwarder: selection');

select('the first local forwarder is used; the query asks for the service, name and NSMgr URL', async () => {
  const { handler, nse, down } = harness([forwarder('a'), forwarder('b')]);
  await handler.request(request(), bg());
  assert.equal(down.urls, [url('a')]);
  const query = nse.queries[0]?.networkServiceEndpoint;
  assert.equal(query?.networkServiceNames, ['forwarder']);
  assert.is(query?.name, '');
  assert.is(query?.url, nsmgrUrl);
});
select('a refresh goes to the remembered forwarder, asking the registry for it by name', async () => {
  const { handler, nse, down } = harness([forwarder('a'), forwarder('b')], [url('a')]);
  await handler.request(request(), bg());
  nse.list.reverse();
  await handler.request(request(), bg());
  assert.equal(down.urls, [url('a'), url('b'), url('b')]);
  assert.is(nse.queries[1]?.networkServiceEndpoint?.name, 'b');
});
select('the remembered forwarder gone: FAILED_PRECONDITION', async () => {
  const { handler, nse } = harness([forwarder('a')]);
  await handler.request(request(), bg());
  nse.list.length = 0;
  nse.list.push(NetworkServiceEndpoint.fromPartial(forwarder('b')));
  const error = await rejection(handler.request(request(), bg()));
  assertStatus(error, Code.FAILED_PRECONDITION, 'DISCOVERFORWARDER_NOT_AVAILABLE');
});
select('RESELECT_REQUESTED ignores the remembered forwarder and remembers the new one', async () => {
  const { handler, nse, down } = harness([forwarder('a')]);
  await handler.request(request(), bg());
  nse.list.length = 0;
  nse.list.push(NetworkServiceEndpoint.fromPartial(forwarder('b')));
  await handler.request(request({ state: State.RESELECT_REQUESTED }), bg());
  await handler.request(request(), bg());
  assert.equal(down.urls, [url('a'), url('b'), url('b')]);
  assert.is(nse.queries[1]?.networkServiceEndpoint?.name, '');
});
select('no forwarder: UNAVAILABLE', async () => {
  const { handler } = harness([]);
  assertStatus(
    await rejection(handler.request(request(), bg())),
    Code.UNAVAILABLE,
    'DISCOVERFORWARDER_NO_CANDIDATES',
  );
});
select('an unknown service: NOT_FOUND', async () => {
  const { handler, down } = harness([forwarder('a')], [], []);
  assertStatus(
    await rejection(handler.request(request(), bg())),
    Code.NOT_FOUND,
    'DISCOVERFORWARDER_NS_NOT_FOUND',
  );
  assert.equal(down.urls, []);
});
select('match metadata labels select forwarders; the default requires p2p=true', async () => {
  const fwds = [forwarder('plain', {}), forwarder('vlan', { vlan: 'true' }), forwarder('p2p')];
  const meta = harness(fwds, [], [{ name: 'svc', matches: [{ metadata: { labels: { vlan: 'true' } } }] }]);
  await meta.handler.request(request(), bg());
  assert.equal(meta.down.urls, [url('vlan')]);
  const p2p = harness(fwds, [], [{ name: 'svc', matches: [{ sourceSelector: {} }] }]);
  await p2p.handler.request(request(), bg());
  assert.equal(p2p.down.urls, [url('p2p')]);
});
select('a custom forwarder service name', async () => {
  const custom = {
    ...forwarder('x'),
    networkServiceNames: ['fwd'],
    networkServiceLabels: { fwd: { labels: { p2p: 'true' } } },
  };
  const { handler, nse, down } = harness([custom], [], [{ name: 'svc', matches: [{}] }], {
    forwarderServiceName: 'fwd',
  });
  await handler.request(request(), bg());
  assert.equal(down.urls, [url('x')]);
  assert.equal(nse.queries[0]?.networkServiceEndpoint?.networkServiceNames, ['fwd']);
});
select.run();

const previous = suite('discoverforwarder: the forwarder on the path');

const pathTo = (next: string) => ({ index: 0, pathSegments: [{ name: 'nsmgr' }, { name: next }] });

previous(
  'with nothing remembered, the forwarder next on the path is tried first (swapped to the front)',
  async () => {
    const { handler, down } = harness([forwarder('a'), forwarder('b'), forwarder('c')], [url('c')]);
    await handler.request(request({ path: pathTo('c') }), bg());
    assert.equal(down.urls, [url('c'), url('b')], 'swapped, not moved: b keeps its place');
  },
);
previous('not on reselect', async () => {
  const { handler, down } = harness([forwarder('a'), forwarder('b')]);
  await handler.request(request({ path: pathTo('b'), state: State.RESELECT_REQUESTED }), bg());
  assert.equal(down.urls, [url('a')]);
});
previous('a path naming an unknown forwarder changes nothing', async () => {
  const { handler, down } = harness([forwarder('a'), forwarder('b')]);
  await handler.request(request({ path: pathTo('zzz') }), bg());
  assert.equal(down.urls, [url('a')]);
});
previous.run();

const failover = suite('discoverforwarder: failover');

failover('candidates are tried in order; the first success is remembered', async () => {
  const { handler, nse, down } = harness([forwarder('a'), forwarder('b')], [url('a')]);
  const input = request();
  const conn = await handler.request(input, bg());
  assert.equal(down.urls, [url('a'), url('b')]);
  assert.is(conn.id, 'c1');
  await handler.request(request(), bg());
  assert.is(nse.queries[1]?.networkServiceEndpoint?.name, 'b');
});
failover('all failing: UNAVAILABLE with each error', async () => {
  const { handler } = harness([forwarder('a'), forwarder('b')], [url('a'), url('b')]);
  const error = await rejection(handler.request(request(), bg()));
  assertStatus(error, Code.UNAVAILABLE, 'DISCOVERFORWARDER_ALL_FAILED');
  assert.is(((error as Error).cause as AggregateError).errors.length, 2);
});
failover('all failing with one status: that status, with each attempt in the message', async () => {
  const refusing = (reasons: Record<string, string>): NetworkServiceElement => ({
    name: 'refusing',
    async request(_request, ctx) {
      const name = clientUrlOf(ctx)?.split('/').at(-1) ?? '';
      throw new StatusError(Code.RESOURCE_EXHAUSTED, `${name} is full`, { reason: reasons[name] ?? '' });
    },
  });
  const build = (reasons: Record<string, string>) =>
    networkServiceHandler([
      metadata(),
      discoverForwarderServer({
        nsRegistry: nsRegistry([{ name: 'svc' }]),
        nseRegistry: nseRegistry([forwarder('a'), forwarder('b')]),
        nsmgrUrl,
      }),
      refusing(reasons),
    ]);
  const same = await rejection(build({ a: 'FULL', b: 'FULL' }).request(request(), bg()));
  assertStatus(same, Code.RESOURCE_EXHAUSTED, 'FULL');
  assert.is(
    (same as Error).message,
    'discoverforwarder: all forwarders have failed: a: a is full; b: b is full',
  );
  const mixed = await rejection(build({ a: 'FULL', b: 'OTHER' }).request(request(), bg()));
  assertStatus(mixed, Code.UNAVAILABLE, 'DISCOVERFORWARDER_ALL_FAILED');
});
failover('a failing registry: UNAVAILABLE with the cause', async () => {
  const { handler, nse } = harness([forwarder('a')]);
  const cause = new Error('down');
  nse.find = () => throwError(() => cause);
  const error = await rejection(handler.request(request(), bg()));
  assertStatus(error, Code.UNAVAILABLE, 'DISCOVERFORWARDER_REGISTRY_FAILED');
  assert.is((error as Error).cause, cause);
});
failover('an abort stops at once', async () => {
  const controller = new AbortController();
  const reason = new DOMException('cancelled', 'AbortError');
  const tried: string[] = [];
  const aborting: NetworkServiceElement = {
    name: 'aborting',
    async request(_request, ctx) {
      tried.push(clientUrlOf(ctx) ?? '');
      controller.abort(reason);
      throw new Error('cancelled call');
    },
  };
  const handler = networkServiceHandler([
    metadata(),
    discoverForwarderServer({
      nsRegistry: nsRegistry([{ name: 'svc' }]),
      nseRegistry: nseRegistry([forwarder('a'), forwarder('b')]),
    }),
    aborting,
  ]);
  assert.is(
    await rejection(handler.request(request(), CallContext.of({ signal: controller.signal }))),
    reason,
  );
  assert.equal(tried, [url('a')]);
});
failover.run();

const close = suite('discoverforwarder: Close');

close('goes to the remembered forwarder', async () => {
  const { handler, down } = harness([forwarder('a'), forwarder('b')], [url('a')]);
  const conn = await handler.request(request(), bg());
  await handler.close(conn, bg());
  assert.equal(down.urls, [url('a'), url('b'), url('b')]);
});
close(
  'the remembered forwarder at its current URL; its last known URL when the lookup finds nothing',
  async () => {
    const { handler, nse, down } = harness([forwarder('a')]);
    const conn = await handler.request(request(), bg());
    (nse.list[0] as NetworkServiceEndpoint).url = url('a-restarted');
    await handler.close(conn, bg());
    const again = await handler.request(request({ id: 'c2' }), bg());
    nse.list.length = 0;
    await handler.close(again, bg());
    assert.equal(down.urls, [url('a'), url('a-restarted'), url('a-restarted'), url('a-restarted')]);
  },
);
close('nothing remembered: the forwarder next on the path', async () => {
  const { handler, nse, down } = harness([forwarder('a'), forwarder('b')]);
  await handler.close(Connection.fromPartial({ id: 'x', path: pathTo('b') }), bg());
  assert.equal(down.urls, [url('b')]);
  assert.equal(nse.queries[0]?.networkServiceEndpoint?.networkServiceNames, []);
  assert.is(nse.queries[0]?.networkServiceEndpoint?.url, nsmgrUrl);
});
close('no forwarder known, not found, or a failing registry: still closes without a URL', async () => {
  const { handler, nse, down } = harness([forwarder('a')]);
  await handler.close(Connection.fromPartial({ id: 'x' }), bg());
  await handler.close(Connection.fromPartial({ id: 'x', path: pathTo('gone') }), bg());
  nse.find = () => throwError(() => new Error('down'));
  await handler.close(Connection.fromPartial({ id: 'x', path: pathTo('a') }), bg());
  assert.equal(down.urls, [undefined, undefined, undefined]);
});
close('works without a metadata element in front', async () => {
  const down = downstream();
  const handler = networkServiceHandler([
    discoverForwarderServer({ nsRegistry: nsRegistry([]), nseRegistry: nseRegistry([forwarder('a')]) }),
    down,
  ]);
  await handler.close(Connection.fromPartial({ id: 'x', path: pathTo('a') }), bg());
  assert.equal(down.urls, [url('a')]);
});
close.run();

const config = suite('discoverforwarder: options');

config('registries are required; the service name must be non-empty', () => {
  const ns = nsRegistry([]);
  const nse = nseRegistry([]);
  const isConfig = (e: unknown): boolean => e instanceof ConfigError;
  assert.throws(() => discoverForwarderServer({ nsRegistry: ns } as never), isConfig);
  assert.throws(() => discoverForwarderServer({ nseRegistry: nse } as never), isConfig);
  assert.throws(
    () => discoverForwarderServer({ nsRegistry: ns, nseRegistry: nse, forwarderServiceName: '' }),
    isConfig,
  );
});
config.run();
