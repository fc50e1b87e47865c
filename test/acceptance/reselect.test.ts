import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { count, type Counter } from '../../src/testing/index.js';
import { createSandbox, type Domain } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const reselect = suite('nsmgr: reselect closes the old path end to end');

/**
 * `nodes` nodes, each with an nsmgr and one unlabelled forwarder counting the Requests and Closes it sends on,
 * `final-endpoint` (counted) on the last node, and a counting client on node 0.
 */
async function setup(nodes: number) {
  const counterFwd: Counter[] = [];
  const domain = await createSandbox({ nodes, forwardersPerNode: 0 });
  try {
    for (const node of domain.nodes) {
      const counter = count();
      counterFwd.push(counter);
      await node.newForwarder({ labels: {}, clientElements: [counter] });
    }
    const scope = domain.requestContext();
    await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
    const counterNse = count();
    const nse = await domain.nodes[nodes - 1]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
      additional: [counterNse],
    });
    const counterClient = count();
    const nsc = domain.nodes[0]!.newClient({ additional: [counterClient] });
    return { domain, scope, counterFwd, counterNse, nse, counterClient, nsc };
  } catch (error) {
    await domain.close();
    throw error;
  }
}

const secondEndpoint = (domain: Domain, node: number, counter: Counter) =>
  domain.nodes[node]!.newEndpoint({
    registration: { name: 'final-endpoint-2', networkServiceNames: ['my-service'] },
    additional: [counter],
  });

for (const [title, nodes, restartLocal, restartRemote] of [
  ['Local', 1, false, false],
  ['Remote_RestartLocal', 2, true, false],
  ['Remote_RestartRemote', 2, false, true],
  ['Remote_RestartBoth', 2, true, true],
] as const) {
  reselect(`TestReselect_NsmgrRestart ${title}: forwarders get the Close restarted nsmgrs lost`, async () => {
    const { domain, scope, counterFwd, counterNse, nse, counterClient, nsc } = await setup(nodes);
    try {
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      if (restartLocal) await domain.nodes[0]!.nsmgr.restart();
      if (restartRemote) await domain.nodes[1]!.nsmgr.restart();
      await nse.server.kill();
      await secondEndpoint(domain, nodes - 1, counterNse);

      await eventually(() => counterNse.uniqueRequests >= 2, 10_000, '2 unique NSE requests');
      assert.is(counterClient.uniqueCloses, 1, 'the client closes before reselect');
      counterFwd.forEach((c, i) => assert.is(c.closes, 1, `forwarder ${i} got the Close`));
      assert.is(counterNse.closes, 0, 'the new NSE gets no Close');

      await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(counterNse.closes, 0, 'a refresh closes nothing');
      counterFwd.forEach((c, i) => assert.is(c.closes, 1, `forwarder ${i} after the refresh`));

      const clientCloses = counterClient.closes;
      await nsc.close(conn, scope.ctx);
      assert.is(counterClient.closes, clientCloses + 1);
      assert.is(counterNse.closes, 1);
      counterFwd.forEach((c, i) => {
        assert.is(c.uniqueCloses, 1, `forwarder ${i} unique closes`);
        assert.is(c.closes, 2, `forwarder ${i} closes`);
      });
      scope.cancel();
    } finally {
      await domain.close();
    }
  });
}

for (const [title, nodes] of [
  ['Local', 1],
  ['Remote', 2],
] as const) {
  reselect(`TestReselect_LocalForwarderRestart ${title}: the rest of the path gets the Close`, async () => {
    const { domain, scope, counterFwd, counterNse, nse, counterClient, nsc } = await setup(nodes);
    try {
      const request = defaultRequest('my-service');
      const conn = await nsc.request(request, scope.ctx);
      for (const fwd of domain.nodes[0]!.forwarders.values()) await fwd.server.kill();
      await nse.server.kill();
      await secondEndpoint(domain, nodes - 1, counterNse);
      for (const fwd of domain.nodes[0]!.forwarders.values()) await fwd.server.restart();

      await eventually(() => counterNse.uniqueRequests >= 2, 10_000, '2 unique NSE requests');
      assert.is(counterClient.uniqueCloses, 1, 'the client closes before reselect');
      assert.is(counterFwd[0]!.closes, 0, 'the restarted local forwarder gets no Close');
      if (nodes > 1) assert.is(counterFwd[1]!.closes, 1, 'the remote forwarder gets the Close');
      assert.is(counterNse.closes, 0);

      await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(counterNse.closes, 0);
      assert.is(counterFwd[0]!.closes, 0);
      if (nodes > 1) assert.is(counterFwd[1]!.closes, 1);

      const clientCloses = counterClient.closes;
      await nsc.close(conn, scope.ctx);
      assert.is(counterClient.closes, clientCloses + 1);
      assert.is(counterNse.closes, 1);
      assert.is(counterFwd[0]!.closes, 1);
      if (nodes > 1) assert.is(counterFwd[1]!.closes, 2);
      scope.cancel();
    } finally {
      await domain.close();
    }
  });
}

reselect('TestReselect_Close_RegistryDied: Close passes end to end without a registry', async () => {
  const { domain, scope, counterFwd, counterNse, counterClient, nsc } = await setup(1);
  try {
    const conn = await nsc.request(defaultRequest('my-service'), scope.ctx);
    await domain.registry!.kill();
    await nsc.close(conn, scope.ctx);
    assert.is(counterClient.closes, 1);
    assert.is(counterFwd[0]!.closes, 1);
    assert.is(counterNse.closes, 1);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

reselect.run();
