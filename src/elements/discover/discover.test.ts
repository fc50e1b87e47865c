import { Observable, from, throwError } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import {
  NetworkService,
  type Match,
  NetworkServiceEndpoint,
  type DeepPartial,
  type NetworkServiceEndpointResponse,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceHandler } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { checkContext, manualClock } from '../../testing/index.js';
import { matchNetworkServiceEndpoints, matchNetworkServices } from '../match-utils/index.js';
import { candidatesOf, discoverServer } from './index.js';

/** Array-backed registries answering non-watch Finds with the entries the query matches. */
function nsRegistry(entries: DeepPartial<NetworkService>[] = []) {
  const list = entries.map((e) => NetworkService.fromPartial(e));
  const handler: NsRegistryHandler & { finds: number; list: NetworkService[] } = {
    list,
    finds: 0,
    register: async (ns) => (list.push(ns), ns),
    find(query): Observable<NetworkServiceResponse> {
      handler.finds++;
      const q = query.networkService ?? NetworkService.create();
      return from(
        list
          .filter((ns) => matchNetworkServices(q, ns))
          .map((ns) => ({ networkService: ns, deleted: false })),
      );
    },
    unregister: async () => undefined,
  };
  return handler;
}

function nseRegistry(entries: DeepPartial<NetworkServiceEndpoint>[] = []) {
  const list = entries.map((e) => NetworkServiceEndpoint.fromPartial(e));
  const handler: NseRegistryHandler & { finds: number; list: NetworkServiceEndpoint[] } = {
    list,
    finds: 0,
    register: async (nse) => (list.push(nse), nse),
    find(query): Observable<NetworkServiceEndpointResponse> {
      handler.finds++;
      const q = query.networkServiceEndpoint ?? NetworkServiceEndpoint.create();
      const hits = list.filter((nse) => matchNetworkServiceEndpoints(q, nse));
      return from(hits.map((nse) => ({ networkServiceEndpoint: nse, deleted: false })));
    },
    unregister: async () => undefined,
  };
  return handler;
}

const svc = 'secure-intranet-connectivity';
const endpoints = (): DeepPartial<NetworkServiceEndpoint>[] =>
  ['firewall', 'some-middle-app', 'vpn-gateway'].map((app, i) => ({
    name: `nse-${i + 1}`,
    url: `tcp://10.0.0.${i + 1}:5000`,
    networkServiceNames: [svc],
    networkServiceLabels: { [svc]: { labels: { app } } },
  }));
const fromAnywhere = { routes: [{ destinationSelector: { app: 'firewall' } }] };
const fromFirewall = {
  sourceSelector: { app: 'firewall' },
  routes: [{ destinationSelector: { app: 'some-middle-app' } }],
};
const fromMiddle = {
  sourceSelector: { app: 'some-middle-app' },
  routes: [{ destinationSelector: { app: 'vpn-gateway' } }],
};

const bg = (): CallContext => CallContext.background();
const req = (connection: DeepPartial<Connection>): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection });

/** discover in front of a recorder of what reached the tail. */
function harness(ns: NsRegistryHandler, nse: NseRegistryHandler) {
  const seen: CallContext[] = [];
  const handler: NetworkServiceHandler = networkServiceHandler([
    discoverServer({ nsRegistry: ns, nseRegistry: nse }),
    checkContext((ctx) => void seen.push(ctx)),
  ]);
  return { handler, seen, last: (): CallContext => seen[seen.length - 1]! };
}

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
  assert.match(error.message, /^discover: /);
}

const candidates = suite('discover: candidates by matches (Go discover tests)');

const nameCases: [string, DeepPartial<Match>[], Record<string, string>, string][] = [
  ['empty source selector (MatchEmptySourceSelector)', [fromFirewall, fromMiddle, fromAnywhere], {}, 'nse-1'],
  ['non-empty source selector', [fromFirewall, fromMiddle, fromAnywhere], { app: 'firewall' }, 'nse-2'],
  [
    'empty source selector going first',
    [fromAnywhere, fromFirewall, fromMiddle],
    { app: 'firewall' },
    'nse-1',
  ],
];
for (const [name, matches, labels, want] of nameCases) {
  candidates(name, async () => {
    const { handler, last } = harness(nsRegistry([{ name: svc, matches }]), nseRegistry(endpoints()));
    await handler.request(req({ id: '1', networkService: svc, labels }), bg());
    const found = candidatesOf(last());
    assert.equal(
      found?.nses.map((e) => e.name),
      [want],
    );
    assert.is(found?.ns.name, svc);
    assert.is(clientUrlOf(last()), undefined, 'the selection element sets the URL');
  });
}
candidates('no matches: every endpoint of the service, and only of that service', async () => {
  const others = [{ name: 'other', networkServiceNames: ['other-svc'] }];
  const { handler, last } = harness(nsRegistry([{ name: svc }]), nseRegistry([...endpoints(), ...others]));
  await handler.request(req({ id: '1', networkService: svc }), bg());
  assert.equal(
    candidatesOf(last())?.nses.map((e) => e.name),
    ['nse-1', 'nse-2', 'nse-3'],
  );
});
candidates('expired endpoints are dropped, by the context clock', async () => {
  const clock = manualClock(Date.UTC(2026, 0, 1));
  const now = clock.now() / 1000;
  const nses = endpoints();
  nses[0]!.expirationTime = { seconds: now, nanos: 0 };
  nses[1]!.expirationTime = { seconds: now, nanos: 1000 };
  nses[2]!.expirationTime = { seconds: now - 10, nanos: 0 };
  const { handler, last } = harness(nsRegistry([{ name: svc }]), nseRegistry(nses));
  await handler.request(req({ id: '1', networkService: svc }), withClock(bg(), clock));
  assert.equal(
    candidatesOf(last())?.nses.map((e) => e.name),
    ['nse-2'],
  );
});
candidates(
  'the service payload goes on the connection; the input is untouched (MatchExactService)',
  async () => {
    const ns = nsRegistry([{ name: `${svc}-wrong` }]);
    const nse = nseRegistry([{ name: 'wrong', networkServiceNames: [`${svc}-wrong`] }]);
    const { handler } = harness(ns, nse);
    const request = req({ id: '1', networkService: svc });
    assertStatus(await rejection(handler.request(request, bg())), Code.NOT_FOUND, 'DISCOVER_NS_NOT_FOUND');
    ns.list.push(NetworkService.fromPartial({ name: svc, payload: 'IP' }));
    nse.list.push(NetworkServiceEndpoint.fromPartial({ name: 'right', networkServiceNames: [svc] }));
    const conn = await handler.request(request, bg());
    assert.is(conn.payload, 'IP');
    assert.is(request.connection?.payload, '');
  },
);
candidates('a request payload must equal the service payload', async () => {
  const { handler } = harness(nsRegistry([{ name: svc }]), nseRegistry(endpoints()));
  const error = await rejection(handler.request(req({ id: '1', networkService: svc, payload: 'IP' }), bg()));
  assertStatus(error, Code.NOT_FOUND, 'DISCOVER_NS_NOT_FOUND');
});
candidates('no service registered (NoMatchServiceFound)', async () => {
  const { handler, seen } = harness(nsRegistry(), nseRegistry(endpoints()));
  const error = await rejection(handler.request(req({ id: '1', networkService: svc }), bg()));
  assertStatus(error, Code.NOT_FOUND, 'DISCOVER_NS_NOT_FOUND');
  assert.is(seen.length, 0);
});
candidates('no endpoint registered (NoMatchServiceEndpointFound)', async () => {
  const { handler } = harness(nsRegistry([{ name: svc, matches: [fromAnywhere] }]), nseRegistry());
  const error = await rejection(handler.request(req({ id: '1', networkService: svc }), bg()));
  assertStatus(error, Code.NOT_FOUND, 'DISCOVER_NO_CANDIDATES');
});
candidates('no endpoint selected by the matches', async () => {
  const { handler } = harness(nsRegistry([{ name: svc, matches: [fromFirewall] }]), nseRegistry(endpoints()));
  const error = await rejection(
    handler.request(req({ id: '1', networkService: svc, labels: { app: 'x' } }), bg()),
  );
  assertStatus(error, Code.NOT_FOUND, 'DISCOVER_NO_CANDIDATES');
});
candidates('deleted entries in a Find stream are skipped', async () => {
  const ns = nsRegistry([{ name: svc }]);
  ns.find = () =>
    from([
      { networkService: NetworkService.fromPartial({ name: svc }), deleted: true },
    ] satisfies NetworkServiceResponse[]);
  const { handler } = harness(ns, nseRegistry(endpoints()));
  const error = await rejection(handler.request(req({ id: '1', networkService: svc }), bg()));
  assertStatus(error, Code.NOT_FOUND, 'DISCOVER_NS_NOT_FOUND');
});
candidates.run();

const pinned = suite('discover: a named endpoint and a preset URL');

pinned(
  'a named endpoint is found by exact name and its URL put in the context (MatchExactEndpoint)',
  async () => {
    const nse = nseRegistry([{ name: 'final-endpoint-wrong', url: 'tcp://final-endpoint-wrong' }]);
    const ns = nsRegistry();
    const { handler, last } = harness(ns, nse);
    const request = req({ id: '1', networkServiceEndpointName: 'final-endpoint' });
    assertStatus(await rejection(handler.request(request, bg())), Code.NOT_FOUND, 'DISCOVER_NSE_NOT_FOUND');
    nse.list.push(
      NetworkServiceEndpoint.fromPartial({ name: 'final-endpoint', url: 'tcp://final-endpoint' }),
    );
    await handler.request(request, bg());
    assert.is(clientUrlOf(last()), 'tcp://final-endpoint');
    assert.is(candidatesOf(last()), undefined);
    assert.is(ns.finds, 0, 'no service lookup for a named endpoint');
  },
);
pinned('a client URL already in the context passes straight through', async () => {
  const ns = nsRegistry();
  const nse = nseRegistry();
  const { handler, last } = harness(ns, nse);
  await handler.request(req({ id: '1', networkService: svc }), withClientUrl(bg(), 'unix:///preset.sock'));
  await handler.close(
    Connection.fromPartial({ id: '1', networkServiceEndpointName: 'x' }),
    withClientUrl(bg(), 'unix:///p'),
  );
  assert.is(clientUrlOf(last()), 'unix:///p');
  assert.is(ns.finds + nse.finds, 0);
});
pinned.run();

const failures = suite('discover: registry failures and aborts');

failures('a failing Find becomes UNAVAILABLE with the cause', async () => {
  const cause = new Error('registry down');
  const ns = nsRegistry([{ name: svc }]);
  ns.find = () => throwError(() => cause);
  const { handler } = harness(ns, nseRegistry(endpoints()));
  const error = await rejection(handler.request(req({ id: '1', networkService: svc }), bg()));
  assertStatus(error, Code.UNAVAILABLE, 'DISCOVER_REGISTRY_FAILED');
  assert.is((error as Error).cause, cause);
});
failures('a Find that throws synchronously is a registry failure too', async () => {
  const nse = nseRegistry();
  nse.find = () => {
    throw new Error('boom');
  };
  const { handler } = harness(nsRegistry(), nse);
  const error = await rejection(handler.request(req({ id: '1', networkServiceEndpointName: 'a' }), bg()));
  assertStatus(error, Code.UNAVAILABLE, 'DISCOVER_REGISTRY_FAILED');
});
failures('an abort during a lookup passes through untouched', async () => {
  const ns = nsRegistry();
  let unsubscribed = false;
  ns.find = () =>
    new Observable<NetworkServiceResponse>(() => () => {
      unsubscribed = true;
    });
  const { handler } = harness(ns, nseRegistry());
  const controller = new AbortController();
  const pending = rejection(
    handler.request(req({ id: '1', networkService: svc }), CallContext.of({ signal: controller.signal })),
  );
  const reason = new DOMException('cancelled', 'AbortError');
  controller.abort(reason);
  assert.is(await pending, reason);
  assert.ok(unsubscribed, 'the Find stream is unsubscribed');
});
failures('options are checked at construction', () => {
  assert.throws(
    () => discoverServer({} as never),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => discoverServer({ nsRegistry: nsRegistry() } as never),
    (e: unknown) => e instanceof ConfigError && /nseRegistry/.test(e.message),
  );
});
failures.run();

const close = suite('discover: Close');

close('puts the named endpoint URL in the context', async () => {
  const { handler, last } = harness(nsRegistry(), nseRegistry(endpoints()));
  await handler.close(Connection.fromPartial({ id: '1', networkServiceEndpointName: 'nse-2' }), bg());
  assert.is(clientUrlOf(last()), 'tcp://10.0.0.2:5000');
});
close('an unknown endpoint still closes, without a URL (NoEndpointOnClose)', async () => {
  const { handler, seen } = harness(nsRegistry(), nseRegistry());
  await handler.close(Connection.fromPartial({ id: '1', networkServiceEndpointName: 'nse' }), bg());
  assert.is(seen.length, 1);
  assert.is(clientUrlOf(seen[0]!), undefined);
});
close('no endpoint name, or a failing registry: still closes', async () => {
  const nse = nseRegistry(endpoints());
  const { handler, seen } = harness(nsRegistry(), nse);
  await handler.close(Connection.fromPartial({ id: '1' }), bg());
  nse.find = () => throwError(() => new Error('down'));
  await handler.close(Connection.fromPartial({ id: '1', networkServiceEndpointName: 'nse-1' }), bg());
  assert.is(seen.length, 2);
  assert.ok(seen.every((ctx) => clientUrlOf(ctx) === undefined));
});
close.run();
