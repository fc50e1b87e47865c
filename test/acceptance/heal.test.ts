import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { count } from '../../src/testing/index.js';
import { createSandbox } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const heal = suite('nsmgr: heal');

for (const [title, nseNode] of [
  ['Local New', 0],
  ['Remote New', 1],
] as const) {
  heal(`TestNSMGR_HealEndpoint ${title}: reselects a new endpoint when the old one dies`, async () => {
    const domain = await createSandbox({ nodes: 2 });
    try {
      const scope = domain.requestContext();
      await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
      const counter = count();
      const nse = await domain.nodes[nseNode]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
        additional: [counter],
      });
      const nsc = domain.nodes[0]!.newClient();
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      assert.is(counter.uniqueRequests, 1);
      await nse.server.kill();
      await domain.nodes[nseNode]!.newEndpoint({
        registration: { name: 'final-endpoint-2', networkServiceNames: ['my-service'] },
        additional: [counter],
      });
      await eventually(() => counter.uniqueRequests === 2, 10_000, '2 unique requests');
      const closesBefore = counter.closes;
      const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(refreshed.networkServiceEndpointName, 'final-endpoint-2');
      await nsc.close(conn, scope.ctx);
      assert.is(counter.uniqueRequests, 2);
      assert.is(counter.closes, closesBefore + 1);
      scope.cancel();
    } finally {
      await domain.close();
    }
  });
}

heal.run();
