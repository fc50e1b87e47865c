import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError, StatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { withCandidates } from '../discover/index.js';
import { roundRobinServer } from './index.js';

const endpoint = (name: string): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, url: `unix:///${name}.sock` });
const ctxWith = (service: string, names: string[], base = CallContext.background()): CallContext =>
  withCandidates(base, { ns: NetworkService.fromPartial({ name: service }), nses: names.map(endpoint) });
const req = (labels: Record<string, string> = {}): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id: 'c', labels } });

interface Attempt {
  readonly nse: string;
  readonly url: string | undefined;
}

/** Records each attempt; fails for the endpoints in `failing` (mutating its own copy first, as Go's test does). */
function endpoints(failing: readonly string[] = []): NetworkServiceElement & { attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  return {
    name: 'endpoints',
    attempts,
    async request(request, ctx, next) {
      const nse = request.connection?.networkServiceEndpointName ?? '';
      attempts.push({ nse, url: clientUrlOf(ctx) });
      if (failing.includes(nse)) {
        if (request.connection) request.connection.labels[nse] = nse;
        throw new Error(`${nse} failed`);
      }
      return next.request(request, ctx);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const rotation = suite('roundrobin: rotation per network service');

rotation('picks rotate per service name, across candidate lists (Go selector test)', async () => {
  const recorder = endpoints();
  const handler = networkServiceHandler([roundRobinServer(), recorder]);
  const steps: [string, string[], string][] = [
    ['network-service-1', ['NSE-1', 'NSE-2', 'NSE-3'], 'NSE-1'],
    ['network-service-1', ['NSE-1', 'NSE-2', 'NSE-3'], 'NSE-2'],
    ['network-service-1', ['NSE-2', 'NSE-3'], 'NSE-2'],
    ['network-service-1', ['NSE-2', 'NSE-3'], 'NSE-3'],
    ['network-service-2', ['NSE-2', 'NSE-3', 'NSE-1'], 'NSE-2'],
    ['network-service-2', ['NSE-2', 'NSE-3', 'NSE-1'], 'NSE-3'],
    ['network-service-2', ['NSE-2', 'NSE-1'], 'NSE-2'],
    ['network-service-2', ['NSE-2', 'NSE-1'], 'NSE-1'],
    ['network-service-1', ['NSE-1', 'NSE-2', 'NSE-3'], 'NSE-2'],
  ];
  for (const [service, names, want] of steps) {
    const conn = await handler.request(req(), ctxWith(service, names));
    assert.is(conn.networkServiceEndpointName, want, `${service} ${names.join(',')}`);
  }
});
rotation('each attempt carries the endpoint URL in the context', async () => {
  const recorder = endpoints();
  const handler = networkServiceHandler([roundRobinServer(), recorder]);
  await handler.request(req(), ctxWith('ns', ['a', 'b']));
  assert.equal(recorder.attempts, [{ nse: 'a', url: 'unix:///a.sock' }]);
});
rotation('every element gets its own counters', async () => {
  const first = networkServiceHandler([roundRobinServer()]);
  const second = networkServiceHandler([roundRobinServer()]);
  assert.is((await first.request(req(), ctxWith('ns', ['a', 'b']))).networkServiceEndpointName, 'a');
  assert.is((await second.request(req(), ctxWith('ns', ['a', 'b']))).networkServiceEndpointName, 'a');
});
rotation.run();

const failover = suite('roundrobin: failover');

failover(
  'a failing candidate is followed by the next; the response keeps the caller labels (Go CleanRequest)',
  async () => {
    const recorder = endpoints(['nse-1']);
    const handler = networkServiceHandler([roundRobinServer(), recorder]);
    const request = req({ 'nse-2': 'nse-2' });
    const conn = await handler.request(request, ctxWith('ns', ['nse-1', 'nse-2']));
    assert.equal(
      recorder.attempts.map((a) => a.nse),
      ['nse-1', 'nse-2'],
    );
    assert.is(conn.networkServiceEndpointName, 'nse-2');
    assert.equal(conn.labels, { 'nse-2': 'nse-2' });
    assert.equal(request.connection?.labels, { 'nse-2': 'nse-2' }, 'the input is not mutated');
    assert.is(request.connection?.networkServiceEndpointName, '');
  },
);
failover('retries advance the shared counter', async () => {
  const recorder = endpoints(['a']);
  const handler = networkServiceHandler([roundRobinServer(), recorder]);
  await handler.request(req(), ctxWith('ns', ['a', 'b', 'c']));
  await handler.request(req(), ctxWith('ns', ['a', 'b', 'c']));
  assert.equal(
    recorder.attempts.map((a) => a.nse),
    ['a', 'b', 'c'],
  );
});
failover('all candidates failing: UNAVAILABLE with every attempt error', async () => {
  const recorder = endpoints(['a', 'b']);
  const handler = networkServiceHandler([roundRobinServer(), recorder]);
  const error = await rejection(handler.request(req(), ctxWith('ns', ['a', 'b'])));
  assert.ok(isStatusError(error));
  assert.is(error.code, Code.UNAVAILABLE);
  assert.is(error.reason, 'ROUNDROBIN_ALL_FAILED');
  assert.match(error.message, /^roundrobin: /);
  assert.ok(error.cause instanceof AggregateError);
  assert.equal(
    error.cause.errors.map((e: Error) => e.message),
    ['a failed', 'b failed'],
  );
});
failover('all failing with the same status: that status passes, each attempt in the message', async () => {
  const full = (reasonOf: (nse: string) => string): NetworkServiceElement => ({
    name: 'full',
    async request(request) {
      const nse = request.connection?.networkServiceEndpointName ?? '';
      throw new StatusError(Code.RESOURCE_EXHAUSTED, `${nse} is full`, { reason: reasonOf(nse) });
    },
  });
  const same = await rejection(
    networkServiceHandler([roundRobinServer(), full(() => 'IPAM_EXHAUSTED')]).request(
      req(),
      ctxWith('full', ['a', 'b']),
    ),
  );
  assert.ok(isStatusError(same));
  assert.is(same.code, Code.RESOURCE_EXHAUSTED);
  assert.is(same.reason, 'IPAM_EXHAUSTED');
  assert.is(same.message, 'roundrobin: all candidates have failed: a: a is full; b: b is full');
  const mixed = await rejection(
    networkServiceHandler([roundRobinServer(), full((nse) => `R_${nse}`)]).request(
      req(),
      ctxWith('mixed', ['a', 'b']),
    ),
  );
  assert.ok(isStatusError(mixed));
  assert.is(mixed.code, Code.UNAVAILABLE);
  assert.is(mixed.reason, 'ROUNDROBIN_ALL_FAILED');
});
failover('an abort stops at once, without trying the next candidate', async () => {
  const controller = new AbortController();
  const reason = new DOMException('cancelled', 'AbortError');
  const attempts: string[] = [];
  const aborting: NetworkServiceElement = {
    name: 'aborting',
    async request(request) {
      attempts.push(request.connection?.networkServiceEndpointName ?? '');
      controller.abort(reason);
      throw new Error('call cancelled');
    },
  };
  const handler = networkServiceHandler([roundRobinServer(), aborting]);
  const base = CallContext.of({ signal: controller.signal });
  assert.is(await rejection(handler.request(req(), ctxWith('ns', ['a', 'b'], base))), reason);
  assert.equal(attempts, ['a']);
});
failover.run();

const edges = suite('roundrobin: pass-through and misuse');

edges('a client URL in the context passes through, and Close passes through', async () => {
  const recorder = endpoints();
  const handler = networkServiceHandler([roundRobinServer(), recorder]);
  const conn = await handler.request(req(), withClientUrl(ctxWith('ns', ['a']), 'tcp://preset:1'));
  assert.is(conn.networkServiceEndpointName, '');
  assert.equal(recorder.attempts, [{ nse: '', url: 'tcp://preset:1' }]);
  await handler.close(conn, CallContext.background());
});
edges('no candidates in the context is a chain misconfiguration', async () => {
  const handler = networkServiceHandler([roundRobinServer()]);
  const error = await rejection(handler.request(req(), CallContext.background()));
  assert.ok(isStatusError(error));
  assert.is(error.code, Code.INTERNAL);
  assert.is(error.reason, 'ROUNDROBIN_NO_CANDIDATES');
});
edges('an empty candidate list fails with no attempts', async () => {
  const handler = networkServiceHandler([roundRobinServer()]);
  const error = await rejection(handler.request(req(), ctxWith('ns', [])));
  assert.ok(isStatusError(error));
  assert.is(error.reason, 'ROUNDROBIN_ALL_FAILED');
});
edges.run();
