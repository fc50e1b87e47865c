/**
 * Bad input through the sandbox (real gRPC, nsmgr + forwarder + endpoints): requests that cannot be served end
 * with a clear status (code and reason as the client receives them) and leave no per-connection state, timer or
 * stream behind. Discovery and labels here; failing components and IPAM in bad-input-components.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { dial } from '../../src/api/client.js';
import { networkServiceClient } from '../../src/api/clients.js';
import { Connection } from '../../src/api/gen/connection.js';
import { timestampFromMs } from '../../src/api/timestamp.js';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { NetworkService } from '../../src/api/gen/registry.js';
import { Code } from '../../src/chain/errors.js';
import { checkRequest, count } from '../../src/testing/index.js';
import type { Domain } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService } from './fixtures.js';
import { assertNothingLeft, assertStatus, inSandbox, rejection } from './inspect.js';

const discovery = suite('bad input: discovery');

discovery(
  '(1) an unknown network service: NOT_FOUND DISCOVERFORWARDER_NS_NOT_FOUND, nothing left',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const counter = count();
    await node.nsRegistry().register(defaultService('known'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['known'] },
      additional: [counter],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
    const error = await rejection(nsc.request(defaultRequest('unknown'), scope.ctx));
    assertStatus(error, Code.NOT_FOUND, 'DISCOVERFORWARDER_NS_NOT_FOUND');
    assert.is(counter.requests, 0);
    await assertNothingLeft(domain, [nsc]);
    assert.equal(
      [...node.forwarders.values()].map((f) => f.dataPlane().records.length),
      [0],
    );
    assert.is(clock.pendingTimers, timers, 'no timer left');
    scope.cancel();
  }),
);

discovery(
  '(2) matches that select no endpoint: NOT_FOUND DISCOVER_NO_CANDIDATES from the forwarder, nothing left',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const counter = count();
    await node.nsRegistry().register(
      NetworkService.fromPartial({
        name: 'picky',
        matches: [{ sourceSelector: {}, routes: [{ destinationSelector: { app: 'wanted' } }] }],
      }),
      scope.ctx,
    );
    await node.newEndpoint({
      registration: {
        name: 'nse-other',
        networkServiceNames: ['picky'],
        networkServiceLabels: { picky: { labels: { app: 'other' } } },
      },
      additional: [counter],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
    const error = await rejection(nsc.request(defaultRequest('picky'), scope.ctx));
    assertStatus(error, Code.NOT_FOUND, 'DISCOVER_NO_CANDIDATES');
    assert.match((error as Error).message, /discover: network service endpoint candidates not found/);
    assert.is(counter.requests, 0);
    await assertNothingLeft(domain, [nsc]);
    assert.equal(
      [...node.forwarders.values()].map((f) => f.dataPlane().records.length),
      [0],
    );
    assert.is(clock.pendingTimers, timers, 'no timer left');
    scope.cancel();
  }),
);

discovery(
  '(2b) a match whose forwarder metadata selects no forwarder: UNAVAILABLE DISCOVERFORWARDER_NO_CANDIDATES',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    await node.nsRegistry().register(
      NetworkService.fromPartial({
        name: 'no-forwarder',
        matches: [{ metadata: { labels: { p2mp: 'true' } }, routes: [{ destinationSelector: {} }] }],
      }),
      scope.ctx,
    );
    await node.newEndpoint({ registration: { name: 'nse', networkServiceNames: ['no-forwarder'] } });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
    const error = await rejection(nsc.request(defaultRequest('no-forwarder'), scope.ctx));
    assertStatus(error, Code.UNAVAILABLE, 'DISCOVERFORWARDER_NO_CANDIDATES');
    await assertNothingLeft(domain, [nsc]);
    assert.is(clock.pendingTimers, timers, 'no timer left');
    scope.cancel();
  }),
);

discovery.run();

const labels = suite('bad input: malformed label templates');

labels(
  '(5) "{{.broken" in a destination selector is compared as written (Go: a template that does not parse)',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    await node.nsRegistry().register(
      NetworkService.fromPartial({
        name: 'templated',
        matches: [
          {
            sourceSelector: { tier: '{{.tier' },
            routes: [{ destinationSelector: { app: '{{.broken', node: '{{ .nodeName }' } }],
          },
        ],
      }),
      scope.ctx,
    );
    const other = count();
    await node.newEndpoint({
      registration: {
        name: 'nse-plain',
        networkServiceNames: ['templated'],
        networkServiceLabels: { templated: { labels: { app: 'broken', node: 'node[0]' } } },
      },
      additional: [other],
    });
    const timers = clock.pendingTimers;
    const nsc = node.newClient({ withoutRetry: true, withoutHeal: true });
    const request = (tier: string): NetworkServiceRequest => {
      const r = defaultRequest('templated');
      return { ...r, connection: { ...r.connection!, labels: { tier, nodeName: 'node[0]' } } };
    };

    // Nothing carries the literal labels yet: no candidate, a clear status, nothing left.
    const none = await rejection(nsc.request(request('{{.tier'), scope.ctx));
    assertStatus(none, Code.NOT_FOUND, 'DISCOVER_NO_CANDIDATES');
    await assertNothingLeft(domain, [nsc]);
    assert.is(clock.pendingTimers, timers);

    // The endpoint whose labels are the raw strings is selected, for a client whose label is the raw source.
    const literal = count();
    await node.newEndpoint({
      registration: {
        name: 'nse-literal',
        networkServiceNames: ['templated'],
        networkServiceLabels: { templated: { labels: { app: '{{.broken', node: '{{ .nodeName }' } } },
      },
      additional: [literal],
    });
    const conn = await nsc.request(request('{{.tier'), scope.ctx);
    assert.is(conn.networkServiceEndpointName, 'nse-literal');
    assert.is(literal.requests, 1);
    assert.is(other.requests, 0);

    // A client whose label differs from the unparsable source selector fits no match: no forwarder is allowed.
    const mismatch = await rejection(nsc.request(request('gold'), scope.ctx));
    assertStatus(mismatch, Code.UNAVAILABLE, 'DISCOVERFORWARDER_NO_CANDIDATES');

    await nsc.close(conn, scope.ctx);
    assert.is(literal.closes, 1);
    await assertNothingLeft(domain, [nsc]);
    scope.cancel();
  }),
);

labels.run();

const wire = suite('bad input: raw requests to the nsmgr');

/** A plain gRPC client of the nsmgr: no client chain to fix the request up. */
function rawClient(domain: Domain) {
  const conn = dial(domain.nodes[0]!.nsmgr.url);
  domain.onClose(() => conn.close());
  return { conn, ns: networkServiceClient(conn) };
}

wire(
  '(7) an empty or absent connection: a fresh id, then NOT_FOUND DISCOVERFORWARDER_NS_NOT_FOUND',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({ registration: { name: 'nse', networkServiceNames: ['svc'] } });
    const timers = clock.pendingTimers;
    const { ns } = rawClient(domain);
    for (const request of [
      NetworkServiceRequest.fromPartial({}),
      NetworkServiceRequest.fromPartial({ connection: {} }),
    ]) {
      const error = await rejection(ns.request(request, scope.ctx));
      assertStatus(error, Code.NOT_FOUND, 'DISCOVERFORWARDER_NS_NOT_FOUND');
    }
    await assertNothingLeft(domain);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

wire(
  '(7) a Close for an unknown id succeeds and creates nothing (Go begin: nothing to close)',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const counter = count();
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [counter],
    });
    const timers = clock.pendingTimers;
    const { ns } = rawClient(domain);
    await ns.close(Connection.fromPartial({ id: 'never-requested', networkService: 'svc' }), scope.ctx);
    await ns.close(
      Connection.fromPartial({
        id: 'never-requested-2',
        networkService: 'svc',
        path: { index: 0, pathSegments: [{ name: 'nsc', id: 'never-requested-2' }] },
      }),
      scope.ctx,
    );
    assert.is(counter.closes, 0);
    await assertNothingLeft(domain);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

wire(
  '(7) a path index out of range or a foreign id: INVALID_ARGUMENT UPDATEPATH_*, on Request and Close',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const counter = count();
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [counter],
    });
    const timers = clock.pendingTimers;
    const { ns } = rawClient(domain);
    const outOfRange = Connection.fromPartial({
      id: 'c1',
      networkService: 'svc',
      path: { index: 5, pathSegments: [{ name: 'nsc', id: 'c1' }] },
    });
    const foreignId = Connection.fromPartial({
      id: 'not-the-segment-id',
      networkService: 'svc',
      path: { index: 0, pathSegments: [{ name: 'nsc', id: 'c1' }] },
    });
    const request = (connection: Connection): NetworkServiceRequest =>
      NetworkServiceRequest.fromPartial({ ...defaultRequest('svc'), connection });
    assertStatus(
      await rejection(ns.request(request(outOfRange), scope.ctx)),
      Code.INVALID_ARGUMENT,
      'UPDATEPATH_INDEX_OUT_OF_RANGE',
    );
    assertStatus(
      await rejection(ns.close(outOfRange, scope.ctx)),
      Code.INVALID_ARGUMENT,
      'UPDATEPATH_INDEX_OUT_OF_RANGE',
    );
    assertStatus(
      await rejection(ns.request(request(foreignId), scope.ctx)),
      Code.INVALID_ARGUMENT,
      'UPDATEPATH_ID_MISMATCH',
    );
    assertStatus(
      await rejection(ns.close(foreignId, scope.ctx)),
      Code.INVALID_ARGUMENT,
      'UPDATEPATH_ID_MISMATCH',
    );
    assert.is(counter.requests + counter.closes, 0);
    await assertNothingLeft(domain);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

wire(
  '(7) a caller without its own path segment: INVALID_ARGUMENT TIMEOUT_NO_EXPIRY, the path closed downstream',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const counter = count();
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [counter],
    });
    const timers = clock.pendingTimers;
    const { ns } = rawClient(domain);
    const error = await rejection(ns.request(defaultRequest('svc'), scope.ctx));
    assertStatus(error, Code.INVALID_ARGUMENT, 'TIMEOUT_NO_EXPIRY');
    assert.is(counter.requests, 1, 'the nsmgr learns it only from the answer');
    assert.is(counter.closes, 1, 'and closes what it opened');
    await assertNothingLeft(domain);
    assert.equal(
      [...node.forwarders.values()].map((f) => [...f.dataPlane().records.map((r) => r.op)]),
      [['up', 'down']],
    );
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

wire(
  '(7) a Connection with an unknown field is served; the field reaches the endpoint and comes back',
  inSandbox(async ({ domain, clock, node }) => {
    const scope = domain.requestContext();
    const seen: (Uint8Array[] | undefined)[] = [];
    await node.nsRegistry().register(defaultService('svc'), scope.ctx);
    await node.newEndpoint({
      registration: { name: 'nse', networkServiceNames: ['svc'] },
      additional: [checkRequest((request) => seen.push(request.connection?._unknownFields?.[800]))],
    });
    const timers = clock.pendingTimers;
    const { conn, ns } = rawClient(domain);
    // A Connection with the caller's own segment, plus field 100 (varint 42) as a newer peer would send it.
    const id = 'with-unknown';
    const own = { name: 'raw-nsc', id, expires: timestampFromMs(clock.now() + 3_600_000) };
    const connection = Connection.fromPartial({ id, networkService: 'svc', path: { pathSegments: [own] } });
    const writer = Connection.encode(connection);
    writer.uint32((100 << 3) | 0).uint32(42);
    const requestBytes = new BinaryWriter()
      .uint32((1 << 3) | 2)
      .bytes(writer.finish())
      .finish();
    const raw = {
      path: '/networkservice.NetworkService/Request',
      requestSerialize: (bytes: Uint8Array): Buffer => Buffer.from(bytes),
      responseDeserialize: (bytes: Buffer): Buffer => bytes,
    };
    const answer = Connection.decode(await conn.unary(raw, requestBytes, scope.ctx));
    assert.equal(
      seen.map((fields) => fields?.map((b) => [...b])),
      [[[42]]],
    );
    assert.equal(
      answer._unknownFields?.[800]?.map((b) => [...b]),
      [[42]],
    );
    assert.is(answer.path?.pathSegments.length, 4);
    await ns.close(answer, scope.ctx);
    await assertNothingLeft(domain);
    assert.is(clock.pendingTimers, timers);
    scope.cancel();
  }),
);

wire.run();
