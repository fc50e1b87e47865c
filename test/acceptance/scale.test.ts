/**
 * Endpoints created on demand (Go `scale_test.go`, nsm-semantics §5.2 row 37).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { NetworkService } from '../../src/api/gen/registry.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { count } from '../../src/testing/index.js';
import { createSandbox } from '../../src/testing/sandbox/index.js';

const scale = suite('nsmgr: scale');

scale('TestCreateEndpointDuringRequest: the first request makes the NSE that serves it', async () => {
  const domain = await createSandbox({ nodes: 2 });
  try {
    const scope = domain.requestContext(undefined, 10_000);
    const ns = await domain.nodes[0]!.nsRegistry().register(
      NetworkService.fromPartial({
        name: 'ns-1',
        matches: [
          {
            sourceSelector: {},
            routes: [
              { destinationSelector: { nodeName: 'node[1]' } },
              { destinationSelector: { 'create-nse': 'true' } },
            ],
          },
        ],
      }),
      scope.ctx,
    );
    let made = false;
    const requestCounter = count();
    // Go's nseMaker: the first Request starts "nse-impl" on node 1; every Request then fails.
    const nseMaker: NetworkServiceElement = {
      name: 'nse-maker',
      async request() {
        if (made) throw new Error("can't create new endpoint");
        made = true;
        await domain.nodes[1]!.newEndpoint({
          registration: {
            name: 'nse-impl',
            networkServiceNames: [ns.name],
            networkServiceLabels: { [ns.name]: { labels: { nodeName: 'node[1]' } } },
          },
          additional: [requestCounter],
        });
        throw new Error("can't provide requested network service");
      },
    };
    await domain.nodes[0]!.newEndpoint({
      registration: {
        name: 'nse-maker',
        networkServiceNames: [ns.name],
        networkServiceLabels: { [ns.name]: { labels: { 'create-nse': 'true' } } },
      },
      additional: [nseMaker],
    });
    const nsc = domain.nodes[1]!.newClient();
    const conn = await nsc.request(
      NetworkServiceRequest.fromPartial({ connection: { networkService: ns.name } }),
      scope.ctx,
    );
    assert.ok(made);
    assert.is(requestCounter.requests, 1);
    await nsc.request(NetworkServiceRequest.fromPartial({ connection: conn }), scope.ctx);
    assert.is(requestCounter.requests, 2);
    await nsc.request(
      NetworkServiceRequest.fromPartial({ connection: { networkService: ns.name } }),
      scope.ctx,
    );
    assert.is(requestCounter.requests, 3);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

scale.run();
