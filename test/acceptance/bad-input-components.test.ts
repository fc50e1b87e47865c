/**
 * Bad input through the sandbox, continued: an endpoint that fails, a forwarder that dies mid-request, and bad or
 * exhausted IPAM prefixes. Each ends with a clear status at the client (or a healed request) and leaves no lease,
 * timer, stream or data-plane record behind in the components still running.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionContext } from '../../src/api/gen/connectioncontext.js';
import type { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { Code, ConfigError, StatusError } from '../../src/chain/errors.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { point2pointIpamServer } from '../../src/elements/point2point-ipam/index.js';
import { count, injectError } from '../../src/testing/index.js';
import type { SandboxForwarder } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService } from './fixtures.js';
import { assertNothingLeft, assertStatus, inSandbox, rejection } from './inspect.js';

const withExcluded = (request: NetworkServiceRequest, excludedPrefixes: string[]): NetworkServiceRequest => ({
  ...request,
  connection: {
    ...request.connection!,
    context: ConnectionContext.fromPartial({ ipContext: { excludedPrefixes } }),
  },
});

const failing = suite('bad input: an endpoint that fails');

failing(
  '(3) its StatusError reaches the client as is; no lease, data-plane record, table entry or timer is left',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/24'] });
    const refusal = new StatusError(Code.PERMISSION_DENIED, 'nse: not today', { reason: 'NSE_REFUSED' });
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [ipam, injectError({ error: refusal })],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
    const error = await rejection(nsc.request(defaultRequest('svc'), scope.ctx));
    assertStatus(error, Code.PERMISSION_DENIED, 'NSE_REFUSED');
    assert.match((error as Error).message, /nse: not today/);
    assert.is(ipam.leases, 0);
    for (const fwd of node.forwarders.values()) {
      assert.equal(fwd.dataPlane().live.size, 0);
      assert.equal(fwd.dataPlane().records, [], 'the data plane was never wired');
    }
    await assertNothingLeft(domain, [nsc]);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

failing(
  '(3) a plain error is INTERNAL at the endpoint, then UNAVAILABLE ROUNDROBIN_ALL_FAILED naming it',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [injectError()],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
    const error = await rejection(nsc.request(defaultRequest('svc'), scope.ctx));
    assertStatus(error, Code.UNAVAILABLE, 'ROUNDROBIN_ALL_FAILED');
    assert.match((error as Error).message, /nse: internal error: injected error/);
    await assertNothingLeft(domain, [nsc]);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

failing(
  '(3) a failing refresh keeps the established connection and its lease; Close then frees everything',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/24'] });
    const refusal = new StatusError(Code.UNAVAILABLE, 'nse: busy', { reason: 'NSE_BUSY' });
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [ipam, injectError({ error: refusal, requestCalls: [2] })],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true, refresh: false });
    const request = defaultRequest('svc');
    const conn = await nsc.request(request, scope.ctx);
    const error = await rejection(nsc.request({ ...request, connection: conn }, scope.ctx));
    assertStatus(error, Code.UNAVAILABLE, 'NSE_BUSY');
    assert.is(ipam.leases, 1, 'the lease of the established connection is kept');
    await nsc.close(conn, scope.ctx);
    assert.is(ipam.leases, 0);
    const fwd = [...node.forwarders.values()][0]!;
    assert.equal(
      fwd.dataPlane().records.map((r) => r.op),
      ['up', 'down'],
    );
    await assertNothingLeft(domain, [nsc]);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

failing.run();

const dying = suite('bad input: a forwarder that dies mid-request');

/** A server element of a forwarder that, once, kills its own forwarder and then lets the request go on. */
function suicidal(armed: { once: boolean }, self: () => SandboxForwarder): NetworkServiceElement {
  return {
    name: 'kill-own-forwarder',
    async request(request, ctx, next) {
      if (armed.once) {
        armed.once = false;
        await self().server.kill();
      }
      return next.request(request, ctx);
    },
  };
}

dying(
  '(4) the only forwarder dies: the request fails cleanly with UNAVAILABLE DISCOVERFORWARDER_ALL_FAILED',
  inSandbox(
    async ({ domain, clock, node }) => {
      const scope = domain.requestContext();
      const counter = count();
      await node.nsRegistry().register(defaultService('svc'), scope.ctx);
      await node.newEndpoint({
        registration: { name: 'nse', networkServiceNames: ['svc'] },
        additional: [counter],
      });
      const self: { fwd?: SandboxForwarder } = {};
      const fwd = await node.newForwarder({ serverElements: [suicidal({ once: true }, () => self.fwd!)] });
      self.fwd = fwd;
      const timers = clock.pendingTimers;
      const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
      const error = await rejection(nsc.request(defaultRequest('svc'), scope.ctx));
      assertStatus(error, Code.UNAVAILABLE, 'DISCOVERFORWARDER_ALL_FAILED');
      assert.match((error as Error).message, new RegExp(`all forwarders have failed: ${fwd.name}: `));
      assert.not.ok(fwd.server.running);
      assert.is(counter.requests, 0);
      await assertNothingLeft(domain, [nsc]);
      assert.is(clock.pendingTimers, timers - 1, 'no timer added; the dead forwarder took its refresh away');
      scope.cancel();
    },
    { forwardersPerNode: 0 },
  ),
);

dying(
  '(4) one of two forwarders dies: the nsmgr goes on to the other; nothing is left once closed',
  inSandbox(
    async ({ domain, clock, node }) => {
      const scope = domain.requestContext();
      const counter = count();
      await node.nsRegistry().register(defaultService('svc'), scope.ctx);
      await node.newEndpoint({
        registration: { name: 'nse', networkServiceNames: ['svc'] },
        additional: [counter],
      });
      const armed = { once: true };
      const fwds: SandboxForwarder[] = [];
      for (let i = 0; i < 2; i++) {
        const index = i;
        fwds.push(await node.newForwarder({ serverElements: [suicidal(armed, () => fwds[index]!)] }));
      }
      const timers = clock.pendingTimers;
      const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
      const conn = await nsc.request(defaultRequest('svc'), scope.ctx);
      const dead = fwds.filter((f) => !f.server.running);
      const alive = fwds.filter((f) => f.server.running);
      assert.is(dead.length, 1);
      assert.is(conn.path?.pathSegments[2]?.name, alive[0]!.name);
      assert.is(counter.requests, 1);
      await nsc.close(conn, scope.ctx);
      assert.is(counter.closes, 1);
      assert.equal(
        alive[0]!.dataPlane().records.map((r) => r.op),
        ['up', 'down'],
      );
      await assertNothingLeft(domain, [nsc]);
      assert.is(clock.pendingTimers, timers - 1, 'no timer added; the dead forwarder took its refresh away');
      scope.cancel();
    },
    { forwardersPerNode: 0 },
  ),
);

const day = 24 * 3_600_000;

dying(
  '(4) killed by the endpoint while the request is in it: healed through the other forwarder; the orphan the endpoint answered expires',
  inSandbox(
    async ({ domain, clock, node }) => {
      const scope = domain.requestContext();
      const counter = count();
      const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/24'] });
      let armed = true;
      const killPreviousHop: NetworkServiceElement = {
        name: 'kill-previous-hop',
        async request(request, ctx, next) {
          const path = request.connection?.path;
          const previous = path?.pathSegments[path.index - 1]?.name ?? '';
          if (armed) {
            armed = false;
            await node.forwarders.get(previous)?.server.kill();
          }
          return next.request(request, ctx);
        },
      };
      await node.nsRegistry().register(defaultService('svc'), scope.ctx);
      await node.newEndpoint({
        registration: { name: 'nse', networkServiceNames: ['svc'] },
        additional: [counter, ipam, killPreviousHop],
      });
      const nsc = node.newClient({ withoutRetry: true, withoutHeal: true, refresh: false });
      // A 30 min call timeout: the endpoint's timeout closes a connection that long before its caller's token
      // expires (1 h), well before the registrations refresh (40 min) on the manual clock.
      const call = domain.requestContext(undefined, 30 * 60_000);
      const conn = await nsc.request(defaultRequest('svc'), call.ctx);
      const alive = [...node.forwarders.values()].filter((f) => f.server.running);
      assert.is(alive.length, 1);
      assert.is(conn.path?.pathSegments[2]?.name, alive[0]!.name);
      assert.is(counter.uniqueRequests, 2, 'the endpoint served the dead forwarder too');
      await nsc.close(conn, call.ctx);
      call.cancel();
      scope.cancel();

      // The answer to the dead forwarder found nobody: the endpoint holds that connection until it expires,
      // as in Go (its timeout closes it when the dead forwarder's token runs out).
      await assertNothingLeft(
        domain,
        [nsc],
        ['nse begin.size=1', 'nse metadata.size=1', 'nse point2point-ipam.leases=1'],
      );
      const timers = clock.pendingTimers;
      clock.advance(31 * 60_000);
      await assertNothingLeft(domain, [nsc]);
      assert.is(counter.closes, 2);
      assert.is(ipam.leases, 0);
      assert.is(clock.pendingTimers, timers - 1, "only the orphan's expiry fired");
    },
    { forwardersPerNode: 2, registryDefaultExpirationMs: day, nsmgrDefaultExpirationMs: day },
  ),
);

dying.run();

const ipamSuite = suite('bad input: IPAM prefixes');

ipamSuite('(6) a prefix that is not a CIDR is a ConfigError at construction', () => {
  for (const prefixes of [['10.0.0.0/33'], ['not-a-cidr'], ['10.0.0.0/24', '300.0.0.0/8'], []]) {
    assert.throws(
      () => point2pointIpamServer({ prefixes }),
      (error: unknown) => error instanceof ConfigError,
      JSON.stringify(prefixes),
    );
  }
});

ipamSuite(
  '(6) excluded_prefixes garbage from the client is skipped (as Go does); valid entries still apply',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/24'] });
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [ipam],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true, refresh: false });
    const request = withExcluded(defaultRequest('svc'), ['not-a-cidr', '10.0.0.0/32', '10.0.0.300/8', '']);
    const conn = await nsc.request(request, scope.ctx);
    const ip = conn.context?.ipContext;
    assert.equal(ip?.dstIpAddrs, ['10.0.0.1/32'], '10.0.0.0 is excluded, garbage is not');
    assert.equal(ip?.srcIpAddrs, ['10.0.0.2/32']);
    assert.is(ipam.leases, 1);
    await nsc.close(conn, scope.ctx);
    assert.is(ipam.leases, 0);
    await assertNothingLeft(domain, [nsc]);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

ipamSuite(
  '(6) exhaustion: a /31 has one pair; the second client gets RESOURCE_EXHAUSTED IPAM_EXHAUSTED',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/31'] });
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [ipam],
    });
    const timers = clock.pendingTimers;
    const first = node.newClient({ withoutRetry: true, withoutHeal: true, refresh: false });
    const second = node.newClient({ withoutRetry: true, withoutHeal: true, refresh: false });
    const request = defaultRequest('svc');
    const conn = await first.request(request, scope.ctx);
    assert.equal(conn.context?.ipContext?.dstIpAddrs, ['10.0.0.0/32']);
    assert.equal(conn.context?.ipContext?.srcIpAddrs, ['10.0.0.1/32']);

    const error = await rejection(second.request(defaultRequest('svc'), scope.ctx));
    assertStatus(error, Code.RESOURCE_EXHAUSTED, 'IPAM_EXHAUSTED');
    assert.match((error as Error).message, /no free address pair in 10\.0\.0\.0\/31/);
    assert.is(ipam.leases, 1, "the first client's lease is untouched");
    const refreshed = await first.request({ ...request, connection: conn }, scope.ctx);
    assert.equal(refreshed.context?.ipContext, conn.context?.ipContext);
    // Only the first connection is held anywhere: the failed one left nothing.
    const fwd = [...node.forwarders.values()][0]!;
    await assertNothingLeft(
      domain,
      [second],
      [
        'nsmgr-0 begin.size=1',
        'nsmgr-0 metadata.size=1',
        'nsmgr-0 client dial.size=1',
        `${fwd.name} begin.size=1`,
        `${fwd.name} metadata.size=1`,
        `${fwd.name} monitor.subscribers=1`,
        `${fwd.name} client dial.size=1`,
        `${fwd.name} data-plane.live=1`,
        'nse begin.size=1',
        'nse metadata.size=1',
        'nse monitor.subscribers=1',
        'nse point2point-ipam.leases=1',
      ],
    );

    await first.close(refreshed, scope.ctx);
    assert.is(ipam.leases, 0);
    await assertNothingLeft(domain, [first, second]);
    assert.is(clock.pendingTimers, timers);
    const now = await second.request(defaultRequest('svc'), scope.ctx);
    assert.equal(now.context?.ipContext?.dstIpAddrs, ['10.0.0.0/32'], 'the freed pair is handed out again');
    await second.close(now, scope.ctx);
    await assertNothingLeft(domain, [first, second]);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

ipamSuite.run();
