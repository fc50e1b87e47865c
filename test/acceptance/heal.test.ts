import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, toArray } from 'rxjs';
import type { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { NetworkServiceEndpointQuery } from '../../src/api/gen/registry.js';
import { withClock } from '../../src/chain/clock.js';
import { jwtTokenGenerator } from '../../src/elements/token-jwt/index.js';
import { nseRegistryClient } from '../../src/presets/registry-client/index.js';
import { count, manualClock } from '../../src/testing/index.js';
import { createSandbox, type Domain } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const heal = suite('nsmgr: heal');

/** Registers `my-service` through node 0 and starts `final-endpoint` (with `counter`) on node `nseNode`. */
async function serviceWithEndpoint(domain: Domain, nseNode: number, counter: ReturnType<typeof count>) {
  const scope = domain.requestContext();
  await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
  const nse = await domain.nodes[nseNode]!.newEndpoint({
    registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
    additional: [counter],
  });
  return { scope, nse };
}

/** Starts `final-endpoint-2` (with `counter`) on node `nseNode`. */
const secondEndpoint = (domain: Domain, nseNode: number, counter: ReturnType<typeof count>) =>
  domain.nodes[nseNode]!.newEndpoint({
    registration: { name: 'final-endpoint-2', networkServiceNames: ['my-service'] },
    additional: [counter],
  });

const refreshOf = (request: NetworkServiceRequest, connection: NetworkServiceRequest['connection']) => ({
  ...request,
  connection,
});

for (const [title, nseNode] of [
  ['Local New', 0],
  ['Remote New', 1],
] as const) {
  heal(`TestNSMGR_HealEndpoint ${title}: reselects a new endpoint when the old one dies`, async () => {
    const domain = await createSandbox({ nodes: nseNode + 1 });
    try {
      const counter = count();
      const { scope, nse } = await serviceWithEndpoint(domain, nseNode, counter);
      const nsc = domain.nodes[0]!.newClient();
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      await nse.server.kill();
      await secondEndpoint(domain, nseNode, counter);
      await eventually(() => counter.uniqueRequests >= 2, 10_000, '2 unique requests');
      assert.is(counter.uniqueRequests, 2);
      const closes = counter.uniqueCloses;
      await nsc.request(refreshOf(request, conn), scope.ctx);
      await nsc.close(conn, scope.ctx);
      assert.is(counter.uniqueRequests, 2);
      assert.is(counter.uniqueCloses, closes + 1);
      scope.cancel();
    } finally {
      await domain.close();
    }
  });
}

heal(
  'TestNSMGRHealEndpoint_DataPlaneBroken_CtrlPlaneBroken: a dead data plane and NSE reselect',
  async () => {
    const domain = await createSandbox({ nodes: 1 });
    try {
      const counter = count();
      const { scope, nse } = await serviceWithEndpoint(domain, 0, counter);
      const nsc = domain.nodes[0]!.newClient({ heal: { livenessCheck: async () => false } });
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      await nse.server.kill();
      await secondEndpoint(domain, 0, counter);
      await eventually(() => counter.uniqueRequests >= 2, 10_000, '2 unique requests');
      assert.is(counter.uniqueRequests, 2);
      const closes = counter.uniqueCloses;
      await nsc.request(refreshOf(request, conn), scope.ctx);
      await nsc.close(conn, scope.ctx);
      assert.is(counter.uniqueRequests, 2);
      assert.is(counter.uniqueCloses, closes + 1);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

heal(
  'TestNSMGRHealEndpoint_DataPlaneBroken_CtrlPlaneHealthy: a dead data plane alone reselects',
  async () => {
    const domain = await createSandbox({ nodes: 1 });
    try {
      const counter = count();
      const { scope } = await serviceWithEndpoint(domain, 0, counter);
      const nsc = domain.nodes[0]!.newClient({ heal: { livenessCheck: async () => false } });
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      assert.is(counter.requests, 1);
      await secondEndpoint(domain, 0, counter);
      await eventually(() => counter.uniqueRequests >= 2, 10_000, '2 unique requests');
      assert.is(counter.uniqueRequests, 2);
      const closes = counter.uniqueCloses;
      await nsc.request(refreshOf(request, conn), scope.ctx);
      await nsc.close(conn, scope.ctx);
      assert.is(counter.uniqueRequests, 2);
      assert.is(counter.uniqueCloses, closes + 1);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

heal('TestNSMGRHealEndpoint_DatapathHealthy_CtrlPlaneBroken', () => {
  console.log(
    'pending: skipped in Go as unstable (networkservicemesh/sdk#1573): with a healthy data plane, killing ' +
      'the NSE must never lead to a reselect (no second unique request within 2 s)',
  );
});

heal('TestNSMGR_HealRegistry: refresh and new clients work after a registry restart', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const counter = count();
    const { scope } = await serviceWithEndpoint(domain, 0, counter);
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-service');
    const conn = await nsc.request(request, scope.ctx);
    await domain.registry!.restart();
    await nsc.request(refreshOf(request, conn), scope.ctx);
    const nsc2 = domain.nodes[0]!.newClient();
    await nsc2.request(refreshOf(request, conn), scope.ctx);
    await eventually(() => counter.requests >= 3, 10_000, '3 requests');
    scope.cancel();
  } finally {
    await domain.close();
  }
});

heal('TestNSMGRHealEndpoint_CustomReselectFunc: heal applies the client reselect function', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const { scope, nse } = await serviceWithEndpoint(domain, 0, count());
    const nsc = domain.nodes[0]!.newClient({
      reselect: (request) => ({
        ...request,
        connection: request.connection && {
          ...request.connection,
          labels: { key: 'value' },
          networkServiceEndpointName: '',
        },
      }),
    });
    const request = defaultRequest('my-service');
    await nsc.request(request, scope.ctx);
    await nse.server.kill();
    await secondEndpoint(domain, 0, count());
    await eventually(
      async () => {
        try {
          const conn = await nsc.request(request, scope.ctx);
          return conn.labels['key'] === 'value';
        } catch {
          return false;
        }
      },
      10_000,
      'a connection with the reselect label',
    );
    scope.cancel();
  } finally {
    await domain.close();
  }
});

const watchedResources = ['TCPServerWrap', 'TCPSocketWrap', 'PipeServerWrap', 'PipeWrap', 'Timeout'];
/** Active sockets, servers and timers by kind (the TS analogue of Go's goroutine count). */
const resources = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    if (watchedResources.includes(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
};
const noneAbove = (baseline: Map<string, number>): boolean =>
  [...resources()].every(([kind, n]) => n <= (baseline.get(kind) ?? 0));

for (const [title, withExpiration] of [
  ['Without NSE expiration', false],
  ['With NSE expiration', true],
] as const) {
  heal(`TestNSMGR_CloseHeal ${title}: Close stops a heal in progress, nothing is left behind`, async () => {
    const domain = await createSandbox({ nodes: 1 });
    try {
      const scope = domain.requestContext();
      await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
      // With expiration the NSE's token lives 1 s and it registers within 0.5 s (Go's NSE context), so its
      // registration expires 0.5 s after each Register: soon after the NSE dies and stops refreshing.
      const nse = await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
        ...(withExpiration
          ? {
              tokenGenerator: jwtTokenGenerator({ spiffeId: 'spiffe://test.com/nse', lifetimeMs: 1000 }),
              registerTimeoutMs: 500,
            }
          : {}),
      });
      // The client's own timers (refresh, heal pauses) run on a manual clock, so they can be counted.
      const clock = manualClock(Date.now());
      const clientCounter = count();
      const nsc = domain.nodes[0]!.newClient({ additional: [clientCounter] });
      const reqScope = domain.requestContext(undefined, 1000);
      const reqCtx = withClock(reqScope.ctx, clock);
      const request = defaultRequest('my-service');
      let conn = await nsc.request(request, reqCtx);
      const baseline = resources();
      conn = await nsc.request(refreshOf(request, conn), reqCtx);
      reqScope.cancel();

      await nse.server.kill();
      // The heal starts: its reselect closes the old path through the client chain first.
      await eventually(() => clientCounter.closes >= 1, 5000, 'the heal to start');

      if (withExpiration) {
        const registry = nseRegistryClient({
          url: domain.nodes[0]!.nsmgr.url,
          dialer: domain.dialerFor('nse-finder'),
          chainSignal: scope.ctx.signal,
        });
        const query = NetworkServiceEndpointQuery.fromPartial({
          networkServiceEndpoint: { name: 'final-endpoint' },
        });
        await eventually(
          async () => (await firstValueFrom(registry.find(query, scope.ctx).pipe(toArray()))).length === 0,
          5000,
          'the NSE registration to expire',
        );
      }

      await nsc.close(conn, scope.ctx).catch(() => undefined);
      nsc.stop();
      assert.is(clock.pendingTimers, 0, 'no refresh or heal timer left');
      await eventually(() => noneAbove(baseline), 5000, 'resources back to the baseline');
      assert.not.ok(scope.ctx.signal.aborted, 'the test context has not expired');
      scope.cancel();
    } finally {
      await domain.close();
    }
  });
}

heal.run();
