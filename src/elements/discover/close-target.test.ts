import { from, throwError, type Observable } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type DeepPartial,
  type NetworkServiceEndpointResponse,
} from '../../api/gen/registry.js';
import { clientUrlOf } from '../../chain/client-url.js';
import { CallContext } from '../../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { metadata } from '../metadata/index.js';
import { discoverServer } from './index.js';

const svc = 'svc';

/** A registry whose entries can change between calls, counting Finds. */
function registries(nses: DeepPartial<NetworkServiceEndpoint>[]) {
  const state = { nsFinds: 0, nseFinds: 0, nses: nses.map((e) => NetworkServiceEndpoint.fromPartial(e)) };
  const ns: NsRegistryHandler = {
    register: async (x) => x,
    find: () => {
      state.nsFinds++;
      return from([{ networkService: NetworkService.fromPartial({ name: svc }), deleted: false }]);
    },
    unregister: async () => undefined,
  };
  const nse: NseRegistryHandler = {
    register: async (x) => x,
    find(query): Observable<NetworkServiceEndpointResponse> {
      state.nseFinds++;
      const name = query.networkServiceEndpoint?.name ?? '';
      const hits = state.nses.filter((e) => name === '' || e.name === name);
      return from(hits.map((e) => ({ networkServiceEndpoint: e, deleted: false })));
    },
    unregister: async () => undefined,
  };
  return { state, ns, nse };
}

/** Stands in for roundrobin and the dialing client: picks the first candidate, records where Close went. */
function pickFirst(closedAt: (string | undefined)[]): NetworkServiceElement {
  return {
    name: 'pick-first',
    async request(request) {
      return Connection.fromPartial({ ...request.connection, networkServiceEndpointName: 'nse-1' });
    },
    async close(_connection, ctx) {
      const url = clientUrlOf(ctx);
      closedAt.push(url);
    },
  };
}

function harness(nses: DeepPartial<NetworkServiceEndpoint>[]) {
  const reg = registries(nses);
  const closedAt: (string | undefined)[] = [];
  const handler = networkServiceHandler([
    metadata(),
    discoverServer({ nsRegistry: reg.ns, nseRegistry: reg.nse }),
    pickFirst(closedAt),
  ]);
  return { ...reg, handler, closedAt };
}

const request = NetworkServiceRequest.fromPartial({ connection: { id: 'c1', networkService: svc } });
const one = [{ name: 'nse-1', url: 'tcp://a:1', networkServiceNames: [svc] }];
const bg = (): CallContext => CallContext.background();

const test = suite('discover: where Close goes');

test('to the endpoint at its current URL, as the registry has it', async () => {
  const h = harness(one);
  const conn = await h.handler.request(request, bg());
  (h.state.nses[0] as NetworkServiceEndpoint).url = 'tcp://b:2';
  await h.handler.close(conn, bg());
  assert.equal(h.closedAt, ['tcp://b:2']);
});

test('to the URL its Request reached when the registry no longer has the endpoint', async () => {
  const h = harness(one);
  const conn = await h.handler.request(request, bg());
  h.state.nses.length = 0;
  await h.handler.close(conn, bg());
  assert.equal(h.closedAt, ['tcp://a:1']);
});

test('an endpoint pinned by name is remembered too; a failing registry falls back to it', async () => {
  const h = harness(one);
  const pinned = NetworkServiceRequest.fromPartial({
    connection: { id: 'c1', networkService: svc, networkServiceEndpointName: 'nse-1' },
  });
  const conn = await h.handler.request(pinned, bg());
  assert.is(h.state.nsFinds, 0);
  h.nse.find = () => throwError(() => new Error('registry down'));
  await h.handler.close(conn, bg());
  assert.equal(h.closedAt, ['tcp://a:1']);
});

test('without a Request on record (a restarted proxy) and nothing in the registry: no URL', async () => {
  const h = harness([]);
  await h.handler.close(Connection.fromPartial({ id: 'c9', networkServiceEndpointName: 'nse-1' }), bg());
  assert.equal(h.closedAt, [undefined]);
});

test.run();
