import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from '../../src/api/gen/connection.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { count, injectError } from '../../src/testing/index.js';
import { createSandbox, type Domain } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const select = suite('nsmgr: forwarder selection');

/** Call numbers from `first` on (Go's injecterror `-1`: every call after the listed ones). */
const callsFrom = (first: number): number[] => Array.from({ length: 10_000 }, (_, i) => first + i);

/** Node `node` gets `n` unlabelled forwarders. */
async function forwarders(domain: Domain, node: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await domain.nodes[node]!.newForwarder({ name: `forwarder-${node}-${i}`, labels: {} });
}

/** Registers `my-service` and starts `final-endpoint` with `additional` on node `node`. */
async function serviceWithEndpoint(domain: Domain, node: number, additional: NetworkServiceElement[]) {
  const scope = domain.requestContext();
  await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
  await domain.nodes[node]!.newEndpoint({
    registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
    additional,
  });
  return scope;
}

const forwarderAt = (conn: Connection, i: number): string | undefined => conn.path?.pathSegments[i]?.name;

select('Test_DiscoverForwarder_CloseAfterError: a refused refresh ends in one Close at the NSE', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const counter = count();
    const inject = injectError({ requestCalls: callsFrom(2), closeCalls: [] });
    const scope = await serviceWithEndpoint(domain, 0, [counter, inject]);
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-service');
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    const refresh = domain.requestContext(undefined, 1000);
    try {
      await nsc.request({ ...request, connection: conn }, refresh.ctx);
      assert.unreachable('the refresh must fail');
    } catch (error) {
      assert.not.instance(error, assert.Assertion);
    } finally {
      refresh.cancel();
    }
    // The Close comes from the heal the failure starts.
    await eventually(() => counter.closes === 1, 10_000, '1 close at the NSE');
    await nsc.close(conn, scope.ctx);
    assert.is(counter.closes, 1);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

select(
  'Test_DiscoverForwarder_ChangeForwarderOnClose: a Request after Close picks another forwarder',
  async () => {
    const domain = await createSandbox({ nodes: 1, forwardersPerNode: 0 });
    try {
      const fwdCount = 10;
      await forwarders(domain, 0, fwdCount);
      const reselectCount = 10;
      // Go's 0-based error indices: the first half of the forwarders fail, then "one success, two errors".
      const errorIndices: number[] = [];
      const skipCount = fwdCount / 2;
      for (let i = 0; i < skipCount; i++) errorIndices.push(i);
      for (let i = 0; i < reselectCount; i++) {
        const last = errorIndices[errorIndices.length - 1]!;
        errorIndices.push(last + 2, last + 3);
      }
      const inject = injectError({ requestCalls: errorIndices.map((i) => i + 1), closeCalls: [] });
      const counter = count();
      const scope = await serviceWithEndpoint(domain, 0, [counter, inject]);
      const nsc = domain.nodes[0]!.newClient();
      const request = defaultRequest('my-service');
      let conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, skipCount + 1);
      assert.is(counter.requests, skipCount + 1);

      let selected = forwarderAt(conn, 2);
      let requests = counter.requests;
      for (let i = 0; i < reselectCount; i++) {
        await nsc.close(conn, scope.ctx);
        selected = forwarderAt(conn, 2);
        conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
        assert.is(counter.uniqueRequests, skipCount + 1);
        assert.is(counter.requests, requests + 3);
        requests = counter.requests;
        if (selected !== forwarderAt(conn, 2)) break;
      }
      assert.is.not(forwarderAt(conn, 2), selected);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

select(
  'Test_DiscoverForwarder_ChangeForwarderOnDeath_LostHeal: a dead forwarder is replaced on heal',
  async () => {
    const domain = await createSandbox({ nodes: 1, forwardersPerNode: 0 });
    try {
      await forwarders(domain, 0, 10);
      const counter = count();
      const scope = await serviceWithEndpoint(domain, 0, [counter]);
      // Every client Close fails, so the Close from heal does not clear the forwarder choice upstream.
      const nsc = domain.nodes[0]!.newClient({
        additional: [count(), injectError({ requestCalls: [], closeCalls: callsFrom(1) })],
      });
      const request = defaultRequest('my-service');
      let conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 1);
      const selected = forwarderAt(conn, 2)!;
      await domain.nodes[0]!.forwarders.get(selected)!.server.kill();

      await eventually(() => counter.requests >= 2, 10_000, '2 requests');
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 2);
      assert.is(counter.closes, 1);

      conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 3);
      assert.is(counter.closes, 1);
      assert.is.not(forwarderAt(conn, 2), selected);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

select(
  'Test_DiscoverForwarder_ChangeRemoteForwarderOnDeath: a dead remote forwarder is replaced on heal',
  async () => {
    const domain = await createSandbox({ nodes: 2, forwardersPerNode: 0 });
    try {
      await domain.nodes[0]!.newForwarder({ name: 'forwarder-local', labels: {} });
      await forwarders(domain, 1, 10);
      const counter = count();
      const scope = await serviceWithEndpoint(domain, 1, [counter]);
      const nsc = domain.nodes[0]!.newClient({
        additional: [count(), injectError({ requestCalls: [], closeCalls: callsFrom(1) })],
      });
      const request = defaultRequest('my-service');
      let conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 1);
      const selected = forwarderAt(conn, 4)!;
      await domain.registry!.restart();
      await domain.nodes[1]!.forwarders.get(selected)!.server.kill();

      await eventually(() => counter.requests >= 2, 10_000, '2 requests');
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 2);
      assert.is(counter.closes, 1);

      conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 3);
      assert.is(counter.closes, 1);
      assert.is.not(forwarderAt(conn, 4), selected);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

select(
  'Test_DiscoverForwarder_Should_KeepSelectedForwarderWhileConnectionIsFine: only a dead data plane moves it',
  async () => {
    const domain = await createSandbox({ nodes: 1, forwardersPerNode: 0 });
    try {
      await forwarders(domain, 0, 10);
      const counter = count();
      const scope = await serviceWithEndpoint(domain, 0, [counter]);
      let dataPlaneUp = true;
      let selected = '';
      const nsc = domain.nodes[0]!.newClient({
        heal: {
          // While the data plane is "down", only connections through the selected forwarder are dead.
          livenessCheck: async (_ctx, conn) => dataPlaneUp || forwarderAt(conn, 2) !== selected,
        },
      });
      const request = defaultRequest('my-service');
      let conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 1);
      selected = forwarderAt(conn, 2)!;

      await domain.registry!.restart();
      await domain.nodes[0]!.forwarders.get(selected)!.server.restart();

      await eventually(() => counter.requests >= 2, 10_000, '2 requests');
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 2);
      assert.is(counter.closes, 0);

      conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.is(counter.requests, 3);
      assert.is(counter.closes, 0);
      assert.is(forwarderAt(conn, 2), selected);

      dataPlaneUp = false;
      await domain.nodes[0]!.forwarders.get(selected)!.server.kill();
      await eventually(() => counter.requests >= 4, 10_000, '4 requests');

      conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      assert.ok(counter.closes > 0);
      assert.is.not(forwarderAt(conn, 2), selected);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

select.run();
