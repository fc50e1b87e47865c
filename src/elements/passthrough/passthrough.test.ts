import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { injectError } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { passthroughClient, replaceLabelsClient, replaceNseNameClient } from './index.js';

const bg = (): CallContext => CallContext.background();

/** Records the connection each Request and Close carries downstream. */
function recorder(): NetworkServiceElement & { requests: Connection[]; closes: Connection[] } {
  const requests: Connection[] = [];
  const closes: Connection[] = [];
  return {
    name: 'recorder',
    requests,
    closes,
    async request(request, ctx, next) {
      requests.push(structuredClone(request.connection ?? Connection.create()));
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      closes.push(structuredClone(connection));
      return next.close(connection, ctx);
    },
  };
}

/** Plays the next hop: picks `name` when the request names no endpoint. */
function nextHop(name: string): NetworkServiceElement {
  return {
    name: 'next-hop',
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      if (connection.networkServiceEndpointName !== '') return next.request(request, ctx);
      return next.request(
        { ...request, connection: { ...connection, networkServiceEndpointName: name } },
        ctx,
      );
    },
  };
}

const labels = suite('replacelabels');

labels('sends its own labels, returns the caller labels, closes with its own (Go TestClient)', async () => {
  const chainLabels = { 1: 'A', 2: 'B' };
  const seen = recorder();
  const handler = networkServiceHandler([metadata(), replaceLabelsClient(chainLabels), seen]);
  const request = NetworkServiceRequest.fromPartial({ connection: { id: 'nsc-1', labels: { 3: 'C' } } });
  const conn = await handler.request(request, bg());
  assert.equal(seen.requests[0]?.labels, chainLabels);
  assert.equal(conn.labels, { 3: 'C' });
  assert.equal(request.connection?.labels, { 3: 'C' }, 'the input is untouched');
  await handler.close(conn, bg());
  assert.equal(seen.closes[0]?.labels, chainLabels);
});
labels('the configured map is copied: later changes to it do not leak in', async () => {
  const configured: Record<string, string> = { a: '1' };
  const seen = recorder();
  const handler = networkServiceHandler([replaceLabelsClient(configured), seen]);
  configured['b'] = '2';
  await handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'x' } }), bg());
  assert.equal(seen.requests[0]?.labels, { a: '1' });
});
labels('a failing next hop fails the call', async () => {
  const handler = networkServiceHandler([replaceLabelsClient({}), injectError()]);
  try {
    await handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'x' } }), bg());
    assert.unreachable('expected a failure');
  } catch (error) {
    assert.is((error as Error).message, 'injected error');
  }
});
labels('labels must be an object', () => {
  assert.throws(
    () => replaceLabelsClient(null as never),
    (e: unknown) => e instanceof ConfigError,
  );
});
labels.run();

const nseName = suite('replacensename');

nseName('keeps the next hop endpoint across requests; the caller keeps its own (Go TestClient)', async () => {
  const seen = recorder();
  const handler = networkServiceHandler([metadata(), replaceNseNameClient(), nextHop('nse-name1'), seen]);
  const first = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'nsc-1' } }),
    bg(),
  );
  assert.is(first.networkServiceEndpointName, '');
  const second = await handler.request(
    NetworkServiceRequest.fromPartial({
      connection: { id: 'nsc-1', networkServiceEndpointName: 'nse-name2' },
    }),
    bg(),
  );
  assert.is(second.networkServiceEndpointName, 'nse-name2');
  assert.equal(
    seen.requests.map((c) => c.networkServiceEndpointName),
    ['nse-name1', 'nse-name1'],
  );
  await handler.close(second, bg());
  assert.is(seen.closes[0]?.networkServiceEndpointName, 'nse-name1');
});
nseName('Close forgets the remembered name', async () => {
  const seen = recorder();
  const handler = networkServiceHandler([metadata(), replaceNseNameClient(), nextHop('n1'), seen]);
  const conn = await handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'c' } }), bg());
  await handler.close(conn, bg());
  await handler.close(conn, bg());
  assert.equal(
    seen.closes.map((c) => c.networkServiceEndpointName),
    ['n1', ''],
  );
});
nseName('a failed request remembers nothing', async () => {
  const seen = recorder();
  const handler = networkServiceHandler([
    metadata(),
    replaceNseNameClient(),
    nextHop('n1'),
    seen,
    injectError({ requestCalls: [1] }),
  ]);
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c', networkServiceEndpointName: 'mine' },
  });
  await handler.request(request, bg()).catch(() => undefined);
  await handler.request(request, bg());
  assert.equal(
    seen.requests.map((c) => c.networkServiceEndpointName),
    ['n1', 'n1'],
  );
});
nseName.run();

const combined = suite('passthrough');

combined('replaces labels and the endpoint name together', async () => {
  const seen = recorder();
  const element = passthroughClient({ step: '2' });
  assert.is(element.name, 'passthrough');
  const handler = networkServiceHandler([metadata(), element, nextHop('nse-step-2'), seen]);
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c', labels: { step: '1' }, networkServiceEndpointName: 'nse-step-1' },
  });
  const conn = await handler.request(request, bg());
  assert.equal(seen.requests[0]?.labels, { step: '2' });
  assert.is(seen.requests[0]?.networkServiceEndpointName, 'nse-step-2');
  assert.equal(conn.labels, { step: '1' });
  assert.is(conn.networkServiceEndpointName, 'nse-step-1');
  await handler.close(conn, bg());
  assert.equal(seen.closes[0]?.labels, { step: '2' });
  assert.is(seen.closes[0]?.networkServiceEndpointName, 'nse-step-2');
});
combined.run();
