import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceEndpoint } from '../../src/api/gen/registry.js';
import { withClock } from '../../src/chain/clock.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { jwtTokenGenerator } from '../../src/elements/token-jwt/index.js';
import { nseRegistryClient } from '../../src/presets/registry-client/index.js';
import { checkResponse, count, injectError, manualClock, type ManualClock } from '../../src/testing/index.js';
import { createSandbox, type Domain } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const heal = suite('nsmgr: heal of forwarders and nsmgrs');

/** Registers `my-service` and starts `final-endpoint` (with `counter`) on node `nseNode`. */
async function serviceWithEndpoint(domain: Domain, nseNode: number, counter: ReturnType<typeof count>) {
  const scope = domain.requestContext();
  await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
  await domain.nodes[nseNode]!.newEndpoint({
    registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
    additional: [counter],
  });
  return scope;
}

for (const [title, node] of [
  ['Local New', 0],
  ['Remote New', 1],
] as const) {
  heal(`TestNSMGR_HealForwarder ${title}: heals through a new forwarder`, async () => {
    const domain = await createSandbox({ nodes: 2 });
    try {
      const counter = count();
      const scope = await serviceWithEndpoint(domain, 1, counter);
      const nsc = domain.nodes[0]!.newClient();
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      const [forwarder] = domain.nodes[node]!.forwarders.values();
      await forwarder!.server.kill();
      await domain.nodes[node]!.newForwarder({ name: `forwarder-2-${node}`, labels: {} });
      await eventually(() => counter.requests >= 2, 10_000, '2 requests');
      assert.is(counter.requests, 2);
      const closes = counter.uniqueCloses;
      await nsc.request({ ...request, connection: conn }, scope.ctx);
      await nsc.close(conn, scope.ctx);
      assert.is(counter.requests, 3);
      assert.is(counter.closes, closes + 1);
      scope.cancel();
    } finally {
      await domain.close();
    }
  });
}

heal('TestNSMGR_HealNSMgr Local Restored: heals through the restarted local nsmgr', async () => {
  const domain = await createSandbox({ nodes: 3 });
  try {
    const counter = count();
    const scope = await serviceWithEndpoint(domain, 1, counter);
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-service');
    const conn = await nsc.request(request, scope.ctx);
    await domain.nodes[0]!.nsmgr.restart();
    await eventually(() => counter.requests >= 2, 10_000, '2 requests');
    assert.is(counter.requests, 2);
    await nsc.request({ ...request, connection: conn }, scope.ctx);
    await nsc.close(conn, scope.ctx);
    assert.is(counter.requests, 3);
    assert.is(counter.closes, 2);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

heal('TestNSMGR_HealNSMgr Remote New: a dead remote nsmgr heals to an endpoint on another node', async () => {
  const domain = await createSandbox({ nodes: 3 });
  try {
    const counter = count();
    const scope = await serviceWithEndpoint(domain, 1, counter);
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-service');
    const conn = await nsc.request(request, scope.ctx);
    await domain.nodes[2]!.newEndpoint({
      registration: { name: 'final-endpoint-2', networkServiceNames: ['my-service'] },
      additional: [counter],
    });
    await domain.nodes[1]!.killNsmgr();
    await eventually(() => counter.uniqueRequests >= 2, 10_000, '2 unique requests');
    assert.is(counter.uniqueRequests, 2);
    const closes = counter.uniqueCloses;
    await nsc.request({ ...request, connection: conn }, scope.ctx);
    await nsc.close(conn, scope.ctx);
    assert.is(counter.uniqueRequests, 2);
    assert.is(counter.uniqueCloses, closes + 1);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

for (const [title, node, pathLength] of [
  ['Local', 0, 4],
  ['Remote', 1, 6],
] as const) {
  heal(
    `Test_ForwarderShouldBeSelectedCorrectlyOnNSMgrRestart ${title}: the path's forwarder is kept`,
    async () => {
      const domain = await createSandbox({ nodes: node + 1 });
      try {
        const scope = domain.requestContext();
        const sandboxNode = domain.nodes[node]!;
        assert.is(sandboxNode.forwarders.size, 1);
        const [expected] = sandboxNode.forwarders.values();
        await domain.nodes[0]!.nsRegistry().register(defaultService('my-ns'), scope.ctx);
        const nse = await sandboxNode.newEndpoint({
          registration: { name: 'my-nse-1', networkServiceNames: ['my-ns'] },
        });
        const nsc = domain.nodes[0]!.newClient({ withoutHeal: true });
        const request = defaultRequest('my-ns');
        let conn = await nsc.request(request, scope.ctx);
        assert.is(conn.path?.pathSegments.length, pathLength);
        assert.is(conn.path?.pathSegments[pathLength - 2]?.name, expected!.name);

        const registry = nseRegistryClient({
          url: sandboxNode.nsmgr.url,
          dialer: domain.dialerFor('nse-registrar'),
          chainSignal: scope.ctx.signal,
        });
        for (let i = 0; i < 10; i++) {
          conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
          assert.is(conn.path?.pathSegments[pathLength - 2]?.name, expected!.name, `iteration ${i}`);
          await sandboxNode.nsmgr.restart();
          await registry.register(
            NetworkServiceEndpoint.fromPartial({
              name: 'my-nse-1',
              url: nse.server.url,
              networkServiceNames: ['my-ns'],
            }),
            scope.ctx,
          );
          await registry.register(
            NetworkServiceEndpoint.fromPartial({
              name: expected!.name,
              url: expected!.server.url,
              networkServiceNames: ['forwarder'],
              networkServiceLabels: { forwarder: { labels: { p2p: 'true' } } },
            }),
            scope.ctx,
          );
          await sandboxNode.newForwarder({ name: `${i}-forwarder-${node}`, labels: { p2p: 'true' } });
        }
        scope.cancel();
      } finally {
        await domain.close();
      }
    },
  );
}

/** Request call numbers from `first` on (Go's injecterror `(first-1, -1)`). */
const callsFrom = (first: number): number[] => Array.from({ length: 10_000 }, (_, i) => first + i);

/** Advances `clock` by `stepMs` every `stepMs` of real time (Go's ticker goroutine) until stopped. */
function tick(clock: ManualClock, stepMs: number): () => void {
  const timer = setInterval(() => clock.advance(stepMs), stepMs);
  return () => clearInterval(timer);
}

heal(
  'TestNSMGR_RefreshFailed_DataPlaneBroken: a refused refresh and a dead data plane heal to NSE-2',
  async () => {
    const domain = await createSandbox({ nodes: 1 });
    let stopTicking = (): void => undefined;
    try {
      const scope = domain.requestContext();
      await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
      const counter1 = count();
      await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
        // Only the first Request succeeds.
        additional: [counter1, injectError({ requestCalls: callsFrom(2), closeCalls: [] })],
      });
      let dataPlaneHealthy = true;
      const clock = manualClock(Date.now());
      const nsc = domain.nodes[0]!.newClient({
        tokenGenerator: jwtTokenGenerator({ spiffeId: 'spiffe://test.com/nsc', lifetimeMs: 15 * 60_000 }),
        heal: { livenessCheck: async () => dataPlaneHealthy, livenessCheckIntervalMs: 10 },
      });
      const requestScope = domain.requestContext(undefined, 1000);
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, withClock(requestScope.ctx, clock));
      requestScope.cancel();
      assert.is(counter1.requests, 1);

      const counter2 = count();
      // Restores the data plane flag once NSE-2 answers, so the heal does not go on.
      const dataPlaneNotifier = checkResponse(() => {
        dataPlaneHealthy = true;
      });
      await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint-2', networkServiceNames: ['my-service'] },
        additional: [dataPlaneNotifier, counter2],
      });

      // The refresh is due after about 3 minutes (0.2 of the 15-minute token).
      clock.advance(190_000);
      // The refresh reached NSE-1 (and failed there), so the first heal watch is gone.
      await eventually(() => counter1.requests >= 2, 10_000, 'the refresh to reach NSE-1');
      dataPlaneHealthy = false;
      // The liveness check and heal pauses run on the client's clock: keep it moving.
      stopTicking = tick(clock, 10);
      await eventually(() => counter2.requests >= 1, 10_000, 'a request at NSE-2');
      assert.is(counter2.uniqueRequests, 1);
      assert.is(counter2.requests, 1);
      await nsc.close(conn, scope.ctx);
      scope.cancel();
    } finally {
      stopTicking();
      await domain.close();
    }
  },
);

/** Lets one Request through per `release()`, or all once `open()` (Go's checkrequest reading `syncCh`). */
function gate(): NetworkServiceElement & { release(): void; open(): void; readonly waiting: number } {
  let tokens = 0;
  let opened = false;
  let waiters: (() => void)[] = [];
  const wake = (): void => {
    const ready = waiters;
    waiters = [];
    ready.forEach((resume) => resume());
  };
  return {
    name: 'gate',
    get waiting() {
      return waiters.length;
    },
    release() {
      tokens++;
      wake();
    },
    open() {
      opened = true;
      wake();
    },
    async request(request, ctx, next) {
      while (!opened && tokens === 0) await new Promise<void>((resume) => waiters.push(resume));
      if (!opened) tokens--;
      return next.request(request, ctx);
    },
  };
}

heal('TestNSMGR_RefreshFailed_ControlPlaneBroken: a forwarder killed during a refresh heals', async () => {
  const domain = await createSandbox({ nodes: 1 });
  let stopTicking = (): void => undefined;
  try {
    const scope = domain.requestContext();
    await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
    const counter = count();
    await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
      additional: [counter],
    });
    const clock = manualClock(Date.now());
    // Holds each client Request after heal, to kill the forwarder while the refresh is under way.
    const sync = gate();
    const nsc = domain.nodes[0]!.newClient({
      tokenGenerator: jwtTokenGenerator({ spiffeId: 'spiffe://test.com/nsc', lifetimeMs: 15 * 60_000 }),
      additional: [sync],
    });
    const requestScope = domain.requestContext(undefined, 1000);
    const request = defaultRequest('my-service');
    sync.release();
    const conn = await nsc.request(request, withClock(requestScope.ctx, clock));
    requestScope.cancel();
    assert.is(counter.requests, 1);

    // The refresh is due after about 3 minutes; later retries and heal pauses need the clock to move on.
    clock.advance(190_000);
    stopTicking = tick(clock, 50);
    await eventually(() => sync.waiting === 1, 5000, 'the refresh to wait at the gate');

    for (const forwarder of domain.nodes[0]!.forwarders.values()) await forwarder.server.kill();
    sync.open();
    await domain.nodes[0]!.newForwarder({ name: 'forwarder-2', labels: {} });

    await eventually(() => counter.requests === 2, 10_000, '2 requests at the NSE');
    await nsc.close(conn, scope.ctx);
    assert.is(counter.requests, 2);
    scope.cancel();
  } finally {
    stopTicking();
    await domain.close();
  }
});

heal.run();
