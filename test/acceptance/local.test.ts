import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { count } from '../../src/testing/index.js';
import { createSandbox } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService } from './fixtures.js';

const local = suite('nsmgr: local and remote use cases');

local('Test_LocalUsecase: path 4, refresh, close', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const scope = domain.requestContext();
    await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
    const counter = count();
    await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
      additional: [counter],
    });
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-service');
    const conn = await nsc.request(request, scope.ctx);
    assert.is(counter.requests, 1);
    assert.is(conn.path?.pathSegments.length, 4);
    const refreshed = await nsc.request({ ...request, connection: conn }, scope.ctx);
    assert.is(counter.requests, 2);
    assert.is(refreshed.path?.pathSegments.length, 4);
    await nsc.close(refreshed, scope.ctx);
    assert.is(counter.closes, 1);
    scope.cancel();
  } finally {
    await domain.close();
  }
});

local('Test_RemoteUsecase: path 6, refresh, close', async () => {
  const domain = await createSandbox({ nodes: 2 });
  try {
    const scope = domain.requestContext();
    await domain.nodes[0]!.nsRegistry().register(defaultService('my-service'), scope.ctx);
    const counter = count();
    await domain.nodes[0]!.newEndpoint({
      registration: { name: 'final-endpoint', networkServiceNames: ['my-service'] },
      additional: [counter],
    });
    const nsc = domain.nodes[1]!.newClient();
    const request = defaultRequest('my-service');
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
    scope.cancel();
  } finally {
    await domain.close();
  }
});

local.run();
