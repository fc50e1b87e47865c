/**
 * One node over unix sockets (Go `unix_test.go`, nsm-semantics §5.2 rows 43-44).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelClient } from '../../src/elements/mechanisms/index.js';
import { count, injectError } from '../../src/testing/index.js';
import { createSandbox } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService } from './fixtures.js';

const unix = suite('nsmgr: unix sockets');

unix('Test_Local_NoURLUsecase: no registry, path 4, refresh, close', async () => {
  const domain = await createSandbox({ transport: 'unix', registry: false });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('no-url'), scope.ctx);
    const counter = count();
    await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
      additional: [counter],
    });
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest(ns.name);
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    assert.is(conn.path?.pathSegments.length, 4);
    const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
    assert.is(refreshed.path?.pathSegments.length, 4);
    assert.is(counter.requests, 2);
    await nsc.close(conn, scope.ctx);
    assert.is(counter.closes, 1);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

unix(
  'Test_MultiForwarderSendfd: the first forwarder fails the first request, the second serves it',
  async () => {
    const domain = await createSandbox({ transport: 'unix', forwardersPerNode: 0 });
    try {
      // Go's sendfd/recvfd (passing the files of kernel mechanisms over the unix socket) are not built; what
      // stays is two forwarders sharing one injected error that fails only the very first Request.
      const errorServer = injectError({ requestCalls: [1], closeCalls: [] });
      for (const name of ['forwarder-1', 'forwarder-2']) {
        await domain.nodes[0]!.newForwarder({ name, labels: { p2p: 'true' }, serverElements: [errorServer] });
      }
      const scope = domain.requestContext(undefined, 5000);
      const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('multi-forwarder'), scope.ctx);
      const counter = count();
      await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
        additional: [counter],
      });
      const nsc = domain.nodes[0]!.newClient({ additional: [kernelClient()] });
      const request = defaultRequest(ns.name);
      const conn = await nsc.request(request, scope.ctx);
      assert.is(counter.requests, 1);
      assert.is(conn.path?.pathSegments.length, 4);
      const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
      assert.is(refreshed.path?.pathSegments.length, 4);
      assert.is(counter.requests, 2);
      await nsc.close(conn, scope.ctx);
      assert.is(counter.closes, 1);
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

unix.run();
