/**
 * The Go nsmgr suite (`suite_test.go`, nsm-semantics §5.2 rows 2-13). Go shares one 7-node domain between the
 * suite's tests; here each test builds the nodes it needs, so a failure cannot spill into the next test.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { Match, NetworkService, NetworkServiceEndpoint } from '../../src/api/gen/registry.js';
import { serve } from '../../src/api/server.js';
import { freePort } from '../../src/testing/sandbox/addresses.js';
import type { IPContext } from '../../src/api/gen/connectioncontext.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { point2pointIpamServer } from '../../src/elements/point2point-ipam/index.js';
import { endpoint } from '../../src/presets/endpoint/index.js';
import { count, injectError, manualClock } from '../../src/testing/index.js';
import { createSandbox, type SandboxEndpoint } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const nsmgrSuite = suite('nsmgr: suite');

const finalEndpoint = (service: string): NetworkServiceEndpoint['networkServiceNames'] => [service];

nsmgrSuite('Test_Remote_ParallelUsecase: the NSE registers while the request retries', async () => {
  const domain = await createSandbox({ nodes: 2 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('parallel'), scope.ctx);
    const counter = count();
    let nse: Promise<SandboxEndpoint> | undefined;
    const registerLater = new Promise<void>((resolve) =>
      setTimeout(() => {
        nse = domain.nodes[0]!.newEndpoint({
          registration: { name: 'final-endpoint', networkServiceNames: finalEndpoint(ns.name) },
          additional: [counter],
        });
        resolve();
      }, 100),
    );
    const nsc = domain.nodes[1]!.newClient();
    const request = defaultRequest(ns.name);
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    assert.is(conn.path?.pathSegments.length, 6);
    const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
    assert.is(refreshed.path?.pathSegments.length, 6);
    assert.is(counter.requests, 2);
    await nsc.close(refreshed, scope.ctx);
    assert.is(counter.closes, 1);
    await registerLater;
    await (await nse!).unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

nsmgrSuite('Test_SelectsRestartingEndpointUsecase: the NSE starts serving after it registered', async () => {
  const domain = await createSandbox({ nodes: 1 });
  const stop = new AbortController();
  let server: { close(graceMs?: number): Promise<void> } | undefined;
  try {
    const scope = domain.requestContext(undefined, 5000);
    const nsRegistry = domain.nodes[0]!.nsRegistry();
    const ns = await nsRegistry.register(defaultService('restarting'), scope.ctx);
    await nsRegistry.register(NetworkService.fromPartial({ name: ns.name, payload: 'IP' }), scope.ctx);
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const registry = domain.nodes[0]!.nseRegistry(stop.signal, 'final-endpoint');
    const registration = await registry.register(
      NetworkServiceEndpoint.fromPartial({ name: 'final-endpoint', networkServiceNames: [ns.name], url }),
      scope.ctx,
    );
    // Go starts the gRPC server a second later; the client's retry bridges the gap.
    const started = new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        const nse = endpoint({
          name: 'final-endpoint',
          tokenGenerator: domain.tokens('nse'),
          chainSignal: stop.signal,
        });
        serve(url, { networkService: nse.networkService, monitorConnection: nse.monitorConnection }).then(
          (s) => {
            server = s;
            resolve();
          },
          reject,
        );
      }, 300),
    );
    const nsc = domain.nodes[0]!.newClient();
    const conn = await nsc.request(defaultRequest(ns.name), scope.ctx);
    await started;
    assert.is(conn.path?.pathSegments.length, 4);
    assert.not.ok(scope.ctx.signal.aborted);
    await nsc.close(conn, scope.ctx);
    await registry.unregister(registration, scope.ctx);
    scope.cancel();
  } finally {
    stop.abort();
    await server?.close(0);
    await domain.close();
  }
});

/** Whether the address of `cidr` (IPv4) lies in `prefix` (IPv4). */
function inPrefix(prefix: string, cidr: string): boolean {
  const toInt = (address: string): number =>
    address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const [network = '', bits = '32'] = prefix.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = toInt(network) - (toInt(network) % size);
  const address = toInt(cidr.split('/')[0] ?? '');
  return address >= start && address < start + size;
}

/** Go's strictipam in front of point2pointipam: drops request addresses outside `prefix` first. */
function strictIpam(prefix: string): NetworkServiceElement[] {
  const strip = (ip: IPContext): IPContext => {
    const bad = (cidr: string): boolean => !inPrefix(prefix, cidr);
    const badSrc = ip.srcIpAddrs.filter(bad);
    const badDst = ip.dstIpAddrs.filter(bad);
    return {
      ...ip,
      srcIpAddrs: ip.srcIpAddrs.filter((a) => !badSrc.includes(a)),
      dstIpAddrs: ip.dstIpAddrs.filter((a) => !badDst.includes(a)),
      dstRoutes: ip.dstRoutes.filter((r) => !badSrc.includes(r.prefix)),
      srcRoutes: ip.srcRoutes.filter((r) => !badDst.includes(r.prefix)),
    };
  };
  return [
    {
      name: 'strict-ipam',
      request(request, ctx, next) {
        const connection = request.connection;
        const ip = connection?.context?.ipContext;
        if (connection === undefined || ip === undefined) return next.request(request, ctx);
        const context = { ...connection.context!, ipContext: strip(ip) };
        return next.request({ ...request, connection: { ...connection, context } }, ctx);
      },
    },
    point2pointIpamServer({ prefixes: [prefix] }),
  ];
}

nsmgrSuite('Test_ReselectEndpointWhenNetSvcHasChanged: a changed service moves the connection', async () => {
  const domain = await createSandbox({ nodes: 1 });
  const stop = new AbortController();
  const servers: { close(graceMs?: number): Promise<void> }[] = [];
  try {
    const scope = domain.requestContext(undefined, 5000);
    const nsRegistry = domain.nodes[0]!.nsRegistry();
    let ns = await nsRegistry.register(defaultService('reselect-on-netsvc-change'), scope.ctx);
    const deploy = async (
      name: string,
      labels: Record<string, string>,
      prefix: string,
      counter = count(),
    ): Promise<void> => {
      const url = `tcp://127.0.0.1:${await freePort()}`;
      const registry = domain.nodes[0]!.nseRegistry(stop.signal, name);
      await registry.register(
        NetworkServiceEndpoint.fromPartial({
          name,
          url,
          networkServiceNames: [ns.name],
          networkServiceLabels: { [ns.name]: { labels } },
        }),
        scope.ctx,
      );
      const nse = endpoint({
        name,
        tokenGenerator: domain.tokens(name),
        chainSignal: stop.signal,
        additional: [counter, ...strictIpam(prefix)],
      });
      servers.push(
        await serve(url, { networkService: nse.networkService, monitorConnection: nse.monitorConnection }),
      );
    };
    await deploy('nse-1', {}, '100.100.100.100/30');
    const nsc = domain.nodes[0]!.newClient();
    let conn = await nsc.request(defaultRequest(ns.name), scope.ctx);
    assert.is(conn.path?.pathSegments.length, 4);
    assert.is(conn.networkServiceEndpointName, 'nse-1');
    assert.not.ok(scope.ctx.signal.aborted);
    assert.is(conn.context?.ipContext?.srcIpAddrs[0], '100.100.100.101/32');
    assert.is(conn.context?.ipContext?.dstIpAddrs[0], '100.100.100.100/32');

    ns = await nsRegistry.register(
      {
        ...ns,
        matches: [
          ...ns.matches,
          Match.fromPartial({ routes: [{ destinationSelector: { experimental: 'true' } }] }),
        ],
      },
      scope.ctx,
    );
    const nse2 = count();
    await deploy('nse-2', { experimental: 'true' }, '200.200.200.200/30', nse2);
    // Go idles half a second (netsvcmonitor closes, heal reselects), then refreshes; here the refresh waits
    // until the heal has reached nse-2.
    await eventually(() => nse2.requests > 0, 5000, 'heal reaches nse-2');
    conn = await nsc.request(NetworkServiceRequest.fromPartial({ connection: conn }), scope.ctx);
    assert.is(conn.path?.pathSegments.length, 4);
    assert.is(conn.networkServiceEndpointName, 'nse-2');
    assert.not.ok(scope.ctx.signal.aborted);
    assert.is(conn.context?.ipContext?.srcIpAddrs[0], '200.200.200.201/32');
    assert.is(conn.context?.ipContext?.dstIpAddrs[0], '200.200.200.200/32');
    await nsc.close(conn, scope.ctx);
    scope.cancel();
  } finally {
    stop.abort();
    for (const server of servers) await server.close(0);
    await domain.close();
  }
});

nsmgrSuite('Test_Remote_BusyEndpointsUsecase: three failing NSEs, then a working one', async () => {
  const domain = await createSandbox({ nodes: 2 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('busy-endpoints'), scope.ctx);
    const counter = count();
    const nses = await Promise.all(
      [0, 1, 2].map((i) =>
        domain.nodes[1]!.newEndpoint({
          registration: { name: `final-endpoint${i}`, networkServiceNames: [ns.name] },
          additional: [injectError()],
        }),
      ),
    );
    const fourth = new Promise<SandboxEndpoint>((resolve, reject) =>
      setTimeout(() => {
        domain.nodes[1]!.newEndpoint({
          registration: { name: 'final-endpoint3', networkServiceNames: [ns.name] },
          additional: [counter],
        }).then(resolve, reject);
      }, 500),
    );
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest(ns.name);
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    assert.is(conn.path?.pathSegments.length, 6);
    const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
    assert.is(counter.requests, 2);
    assert.is(refreshed.path?.pathSegments.length, 6);
    await nsc.close(refreshed, scope.ctx);
    assert.is(counter.closes, 1);
    for (const nse of [...nses, await fourth]) await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

nsmgrSuite('Test_RemoteUsecase: path 6, refresh, close', async () => {
  const domain = await createSandbox({ nodes: 2 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('remote'), scope.ctx);
    const counter = count();
    const nse = await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
      additional: [counter],
    });
    const nsc = domain.nodes[1]!.newClient();
    const request = defaultRequest(ns.name);
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    assert.equal(
      conn.path?.pathSegments.map((s) => s.name.replace(/-[0-9a-f]{8}$/, '')),
      ['nsc-1', 'nsmgr-1', 'forwarder-1', 'nsmgr-0', 'forwarder-0', 'final-endpoint'],
    );
    const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
    assert.is(counter.requests, 2);
    assert.is(refreshed.path?.pathSegments.length, 6);
    await nsc.close(refreshed, scope.ctx);
    assert.is(counter.closes, 1);
    await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

nsmgrSuite('Test_ConnectToDeadNSEUsecase: a refresh to a killed NSE fails in time', async () => {
  const domain = await createSandbox({ nodes: 1 });
  const stop = new AbortController();
  try {
    const outer = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('dead-nse'), outer.ctx);
    const counter = count();
    const nse = await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
      additional: [counter],
    });
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest(ns.name);
    const requestScope = domain.requestContext(outer.ctx.signal, 1000);
    const conn = await nsc.request(request, requestScope.ctx);
    requestScope.cancel();
    assert.is(counter.requests, 1);
    assert.is(conn.path?.pathSegments.length, 4);

    await nse.server.kill();

    const refreshScope = domain.requestContext(outer.ctx.signal, 1000);
    const failed = await nsc.request({ ...request, connection: conn }, refreshScope.ctx).then(
      () => false,
      () => true,
    );
    refreshScope.cancel();
    assert.ok(failed, 'the refresh fails');
    assert.not.ok(outer.ctx.signal.aborted);

    const closeScope = domain.requestContext(outer.ctx.signal, 1000);
    await nsc.close(conn, closeScope.ctx).catch(() => undefined);
    closeScope.cancel();

    const registry = domain.nodes[0]!.nseRegistry(stop.signal, 'nse-registry-client');
    await registry.unregister(nse.registration()!, outer.ctx);
    outer.cancel();
  } finally {
    stop.abort();
    await domain.close();
  }
});

nsmgrSuite('Test_LocalUsecase: path 4, refresh, close', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('local'), scope.ctx);
    const counter = count();
    const nse = await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
      additional: [counter],
    });
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest(ns.name);
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    assert.is(conn.path?.pathSegments.length, 4);
    const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
    assert.is(counter.requests, 2);
    assert.is(refreshed.path?.pathSegments.length, 4);
    // Go closes with the connection of the first Request; begin replaces it with the last one returned.
    await nsc.close(conn, scope.ctx);
    assert.is(counter.closes, 1);
    await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

/** Sockets and servers held open (timers and immediates of the test itself aside). */
const activeHandles = (): number =>
  process.getActiveResourcesInfo().filter((type) => !['TTYWrap', 'Timeout', 'Immediate'].includes(type))
    .length;

nsmgrSuite(
  'Test_ShouldCleanAllClientAndEndpointGoroutines: nothing outlives the NSE and the NSC',
  async () => {
    const clock = manualClock(Date.now());
    const handlesBefore = activeHandles();
    const domain = await createSandbox({ nodes: 1, clock });
    try {
      const scope = domain.requestContext(undefined, 5000);
      const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('clean'), scope.ctx);
      // Go: at this point every endless nsmgr goroutine runs; whatever the NSE and NSC start must end. Here
      // that is the background work on the clock; sockets are checked once the domain is closed, since the
      // domain's dialer keeps idle channels open for a while by design.
      const timersBefore = clock.pendingTimers;
      const nse = await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
      });
      const nsc = domain.nodes[0]!.newClient();
      const conn = await nsc.request(defaultRequest(ns.name), scope.ctx);
      await nsc.close(conn, scope.ctx);
      await nse.unregister();
      nsc.stop();
      await nse.server.kill();
      scope.cancel();
      await eventually(() => clock.pendingTimers <= timersBefore, 5000, 'timers back to the baseline');
    } finally {
      await domain.close();
    }
    assert.is(clock.pendingTimers, 0);
    await eventually(() => activeHandles() <= handlesBefore, 5000, 'handles back to the baseline');
  },
);

nsmgrSuite.run();
