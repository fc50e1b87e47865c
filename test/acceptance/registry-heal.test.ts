import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
} from '../../src/api/gen/registry.js';
import { withCancel } from '../../src/chain/cancel.js';
import { CallContext } from '../../src/chain/context.js';
import { networkServiceHandler } from '../../src/chain/network-service.js';
import {
  authorizeServer,
  pathConsistencyPolicy,
  tokensChainedPolicy,
  tokensExpiredPolicy,
} from '../../src/elements/authorize/index.js';
import { nseRegistryClient, nsRegistryClient } from '../../src/presets/registry-client/index.js';
import { createSandbox } from '../../src/testing/sandbox/index.js';
import { eventually } from './fixtures.js';

const registryHeal = suite('heal outside the nsmgr chain');

registryHeal('TestHealClient_FindTest: watch Finds survive an nsmgr restart', async () => {
  const domain = await createSandbox({ nodes: 1, forwardersPerNode: 0 });
  const clients = new AbortController();
  try {
    const node = domain.nodes[0]!;
    const forwarder = await node.newForwarder({ name: 'forwarder-find-test', labels: { p2p: 'true' } });
    const scope = domain.requestContext();
    const find = withCancel(domain.ctx);
    const options = {
      url: node.nsmgr.url,
      dialer: domain.dialerFor('find-client'),
      chainSignal: clients.signal,
    };
    const nsRegistry = nsRegistryClient(options);
    const nseRegistry = nseRegistryClient(options);

    const nsNames: string[] = [];
    const nseNames: string[] = [];
    const ended = { ns: false, nse: false };
    const nsWatch = nsRegistry
      .find(NetworkServiceQuery.fromPartial({ networkService: {}, watch: true }), find.ctx)
      .subscribe({
        next: (r) => nsNames.push(r.networkService?.name ?? ''),
        error: () => (ended.ns = true),
        complete: () => (ended.ns = true),
      });
    const nseWatch = nseRegistry
      .find(NetworkServiceEndpointQuery.fromPartial({ networkServiceEndpoint: {}, watch: true }), find.ctx)
      .subscribe({
        next: (r) => nseNames.push(r.networkServiceEndpoint?.name ?? ''),
        error: () => (ended.nse = true),
        complete: () => (ended.nse = true),
      });

    // Kill the nsmgr and start a new one on the same URL.
    await node.nsmgr.restart();
    await nsRegistry.register(NetworkService.fromPartial({ name: 'ns' }), scope.ctx);
    await nseRegistry.register(
      NetworkServiceEndpoint.fromPartial({ name: 'nse', url: 'tcp://0.0.0.0' }),
      scope.ctx,
    );

    // The existing streams were opened again behind the scenes and see the new registrations.
    await eventually(() => nsNames.length >= 1, 5000, 'an NS on the watch');
    assert.is(nsNames[0], 'ns');
    await eventually(() => nseNames.length >= 2, 5000, 'two NSEs on the watch');
    const expected = new Set(['nse', forwarder.name]);
    for (const name of nseNames.slice(0, 2)) {
      assert.ok(expected.has(name), `unexpected NSE ${name}`);
      expected.delete(name);
    }

    find.cancel();
    await eventually(() => ended.ns && ended.nse, 2000, 'both watches to end');
    nsWatch.unsubscribe();
    nseWatch.unsubscribe();
    scope.cancel();
  } finally {
    clients.abort();
    await domain.close();
  }
});

registryHeal(
  'TestAuthorize_ShouldCorrectlyWorkWithHeal (networkservice): heal and timeout events carry no peer',
  async () => {
    // A heal Request and a timeout Close run inside the process: no peer, a one-segment path.
    const server = authorizeServer({
      policies: [tokensExpiredPolicy(), pathConsistencyPolicy(), tokensChainedPolicy()],
    });
    const handler = networkServiceHandler([server]);
    const request = NetworkServiceRequest.fromPartial({ connection: { path: { pathSegments: [{}] } } });
    const conn = await handler.request(request, CallContext.background());
    await handler.close(conn, CallContext.background());
  },
);

registryHeal('TestAuthorize_ShouldCorrectlyWorkWithHeal (monitor connection)', () => {
  console.log(
    'pending: there is no MonitorConnection authorize server in this port yet (Go tools/monitorconnection/' +
      'authorize with Any() and a SPIFFE ID → connection map)',
  );
});

registryHeal.run();
