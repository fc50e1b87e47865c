/**
 * NetworkService Request/Close over real sockets (unix and tcp): field round trip, health, errors, unknown
 * fields, metadata both ways.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dial, type NsmConnection } from '../../src/api/client.js';
import { networkServiceClient } from '../../src/api/clients.js';
import { Connection } from '../../src/api/gen/connection.js';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { checkHealth } from '../../src/api/health.js';
import { serve, type NsmServer } from '../../src/api/server.js';
import {
  incomingHeader,
  peerOf,
  setResponseHeader,
  withOutgoingHeaders,
  withReceivedHeaders,
} from '../../src/chain/call-metadata.js';
import { CallContext } from '../../src/chain/context.js';
import { Code, isStatusError, StatusError } from '../../src/chain/errors.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../src/chain/network-service.js';
import { monitorTail } from '../../src/chain/monitor.js';
import { beginServer } from '../../src/elements/begin/index.js';
import { nseMemoryRegistry, nsMemoryRegistry } from './helpers/memory-registry.js';
import { leakTracker, Listen, noHang, rejection, transports } from './helpers/transports.js';

type Behaviour = (
  request: NetworkServiceRequest,
  ctx: CallContext,
  next: NetworkServiceHandler,
) => Promise<Connection>;

/** Records what reaches the server; `behaviour` (reset per test) decides the answer. */
function recorder(): NetworkServiceElement & {
  requests: NetworkServiceRequest[];
  closes: Connection[];
  contexts: CallContext[];
  behaviour: Behaviour | undefined;
} {
  return {
    name: 'recorder',
    requests: [],
    closes: [],
    contexts: [],
    behaviour: undefined,
    request(request, ctx, next) {
      this.requests.push(request);
      this.contexts.push(ctx);
      return this.behaviour ? this.behaviour(request, ctx, next) : next.request(request, ctx);
    },
    close(connection, ctx, next) {
      this.closes.push(connection);
      return next.close(connection, ctx);
    },
  };
}

const bg = (): CallContext => CallContext.background();
const leaks = leakTracker();
const expires = { seconds: 1_900_000_000, nanos: 123_456_789 };

/** The server's answer for the round-trip test: every field kind filled in. */
const fillResponse: Behaviour = async (request, ctx, next) => {
  const connection = await next.request(request, ctx);
  return Connection.fromPartial({
    ...connection,
    labels: { ...connection.labels, served: 'yes', 'app.kubernetes.io/name': 'nse-1' },
    context: { ipContext: { srcIpAddrs: ['172.16.0.1/32'], dstIpAddrs: ['172.16.0.2/32', 'fd00::2/128'] } },
    path: {
      index: 1,
      pathSegments: [
        { name: 'nsc', id: 'seg-0', token: 'tok-0', expires },
        {
          name: 'nse',
          id: 'seg-1',
          token: 'tok-1',
          expires: { seconds: 1, nanos: 999_999_999 },
          metrics: { rx: '10' },
        },
      ],
    },
    mechanism: {
      cls: 'LOCAL',
      type: 'KERNEL',
      parameters: { name: 'nsm-1', netnsURI: 'file:///proc/1/ns/net' },
    },
    networkServiceEndpointName: 'nse-1',
  });
};

for (const kind of transports) {
  const listen = new Listen(kind);
  const rec = recorder();
  let server: NsmServer | undefined;
  let conn: NsmConnection | undefined;
  let ns: NetworkServiceHandler;
  let n = 0;
  const nextId = (): string => `${kind}-conn-${++n}`;
  const request = (
    id: string,
    extra: Parameters<typeof Connection.fromPartial>[0] = {},
  ): NetworkServiceRequest =>
    NetworkServiceRequest.fromPartial({ connection: { networkService: 'svc', ...extra, id } });

  /** A good Request/Close still works: used after every bad request. */
  const stillWorks = async (): Promise<void> => {
    rec.behaviour = undefined;
    const id = nextId();
    const got = await noHang(ns.request(request(id), bg()), 'follow-up request');
    assert.is(got.id, id);
    await noHang(ns.close(got, bg()), 'follow-up close');
  };

  const setup = async (): Promise<void> => {
    leaks.snapshot();
    server = await serve(listen.url(), {
      networkService: networkServiceHandler([beginServer(), rec]),
      monitorConnection: monitorTail,
      nsRegistry: nsMemoryRegistry(),
      nseRegistry: nseMemoryRegistry(),
    });
    conn = dial(server.url);
    ns = networkServiceClient(conn);
  };
  const teardown = async (): Promise<void> => {
    conn?.close();
    await server?.close();
    listen.cleanup();
  };

  // ---------------------------------------------------------------------------------------------------------
  const roundTrip = suite(`e2e ${kind}: NetworkService round trip and health`);
  roundTrip.before(setup);
  roundTrip.after(teardown);
  roundTrip.before.each(() => {
    rec.behaviour = undefined;
  });

  roundTrip('serve() returns a dialable url of the right kind', () => {
    assert.ok(server);
    assert.ok(server.url.startsWith(kind === 'unix' ? 'unix:///' : 'tcp://127.0.0.1:'), server.url);
    if (kind === 'tcp') assert.not.equal(server.url, 'tcp://127.0.0.1:0');
  });

  roundTrip('request fields reach the server and response fields survive the wire', async () => {
    rec.behaviour = fillResponse;
    const id = nextId();
    const sent = NetworkServiceRequest.fromPartial({
      connection: { id, networkService: 'svc', labels: { client: 'nsc-1' }, payload: 'IP' },
      mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL', parameters: { name: 'pref' } }],
    });
    const got = await ns.request(sent, bg());

    const seen = rec.requests.at(-1);
    assert.ok(seen);
    assert.is(seen.connection?.id, id);
    assert.equal(seen.connection?.labels, { client: 'nsc-1' });
    assert.is(seen.connection?.payload, 'IP');
    assert.is(seen.mechanismPreferences.length, 1);
    assert.equal(seen.mechanismPreferences[0]?.parameters, { name: 'pref' });

    assert.is(got.id, id);
    assert.is(got.networkService, 'svc');
    assert.is(got.networkServiceEndpointName, 'nse-1');
    assert.equal(got.labels, { client: 'nsc-1', served: 'yes', 'app.kubernetes.io/name': 'nse-1' });
    assert.equal(got.context?.ipContext?.srcIpAddrs, ['172.16.0.1/32']);
    assert.equal(got.context?.ipContext?.dstIpAddrs, ['172.16.0.2/32', 'fd00::2/128']);
    assert.is(got.path?.index, 1);
    const segments = got.path?.pathSegments ?? [];
    assert.equal(
      segments.map((s) => [s.name, s.id, s.token]),
      [
        ['nsc', 'seg-0', 'tok-0'],
        ['nse', 'seg-1', 'tok-1'],
      ],
    );
    assert.is(segments[0]?.expires?.seconds, expires.seconds);
    assert.is(segments[0]?.expires?.nanos, expires.nanos);
    assert.is(segments[1]?.expires?.seconds, 1);
    assert.is(segments[1]?.expires?.nanos, 999_999_999);
    assert.equal(segments[1]?.metrics, { rx: '10' });
    assert.is(got.mechanism?.cls, 'LOCAL');
    assert.is(got.mechanism?.type, 'KERNEL');
    assert.equal(got.mechanism?.parameters, { name: 'nsm-1', netnsURI: 'file:///proc/1/ns/net' });
    // beginServer marks the connection UP (State.UP = 0, the zero value, so it is simply absent on the wire).
    assert.is(got.state, 0);

    await ns.close(got, bg());
    assert.is(rec.closes.at(-1)?.id, id);
  });

  roundTrip('close reaches the server', async () => {
    const id = nextId();
    const got = await ns.request(request(id), bg());
    const before = rec.closes.length;
    await ns.close(got, bg());
    assert.is(rec.closes.length, before + 1);
    assert.is(rec.closes.at(-1)?.id, id);
    assert.is(rec.closes.at(-1)?.networkService, 'svc');
  });

  roundTrip('health: the server and every served service are SERVING', async () => {
    assert.is(await checkHealth(conn!, '', bg()), 'SERVING');
    for (const name of [
      'networkservice.NetworkService',
      'connection.MonitorConnection',
      'registry.NetworkServiceRegistry',
      'registry.NetworkServiceEndpointRegistry',
    ]) {
      assert.is(await checkHealth(conn!, name, bg()), 'SERVING', name);
    }
  });

  roundTrip('health: an unserved service name rejects with NOT_FOUND', async () => {
    const error = await rejection(checkHealth(conn!, 'ipam.IPAM', bg()), 'health check');
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.NOT_FOUND);
  });

  roundTrip('health: a server without the registries does not report them', async () => {
    const other = await serve(listen.url(), { networkService: networkServiceHandler([]) });
    const c = dial(other.url);
    try {
      assert.is(await checkHealth(c, 'networkservice.NetworkService', bg()), 'SERVING');
      const error = await rejection(checkHealth(c, 'registry.NetworkServiceRegistry', bg()));
      assert.ok(isStatusError(error));
      assert.is(error.code, Code.NOT_FOUND);
    } finally {
      c.close();
      await other.close();
    }
  });

  roundTrip.run();

  // ---------------------------------------------------------------------------------------------------------
  const errors = suite(`e2e ${kind}: NetworkService errors`);
  errors.before(setup);
  errors.after(teardown);
  errors.before.each(() => {
    rec.behaviour = undefined;
  });

  errors('a StatusError keeps its code, message and reason across the wire', async () => {
    rec.behaviour = () =>
      Promise.reject(new StatusError(Code.PERMISSION_DENIED, 'x: denied', { reason: 'X_DENIED' }));
    const error = await rejection(ns.request(request(nextId()), bg()));
    assert.ok(isStatusError(error), String(error));
    assert.instance(error, StatusError);
    assert.is(error.code, Code.PERMISSION_DENIED);
    assert.is(error.message, 'x: denied');
    assert.is(error.reason, 'X_DENIED');
    await stillWorks();
  });

  errors('a StatusError without a reason arrives without one', async () => {
    rec.behaviour = () => Promise.reject(new StatusError(Code.RESOURCE_EXHAUSTED, 'full'));
    const error = await rejection(ns.request(request(nextId()), bg()));
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.RESOURCE_EXHAUSTED);
    assert.is(error.message, 'full');
    assert.is(error.reason, undefined);
    await stillWorks();
  });

  errors('a plain Error arrives as INTERNAL', async () => {
    rec.behaviour = () => Promise.reject(new Error('boom'));
    const error = await rejection(ns.request(request(nextId()), bg()));
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.INTERNAL);
    assert.is(error.reason, undefined);
    assert.match(error.message, 'boom');
    await stillWorks();
  });

  errors('an element throwing synchronously also arrives as INTERNAL', async () => {
    rec.behaviour = () => {
      throw new Error('sync boom');
    };
    const error = await rejection(ns.request(request(nextId()), bg()));
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.INTERNAL);
    await stillWorks();
  });

  errors('an error in Close arrives as a StatusError', async () => {
    const id = nextId();
    const got = await ns.request(request(id), bg());
    const failing: NetworkServiceHandler = networkServiceHandler([
      {
        name: 'fail-close',
        close: () =>
          Promise.reject(new StatusError(Code.FAILED_PRECONDITION, 'no close', { reason: 'NO_CLOSE' })),
      },
    ]);
    const other = await serve(listen.url(), { networkService: failing });
    const c = dial(other.url);
    try {
      const error = await rejection(networkServiceClient(c).close(got, bg()));
      assert.ok(isStatusError(error));
      assert.is(error.code, Code.FAILED_PRECONDITION);
      assert.is(error.reason, 'NO_CLOSE');
    } finally {
      c.close();
      await other.close();
    }
    await ns.close(got, bg());
  });

  errors('an empty connection id is INVALID_ARGUMENT with reason BEGIN_EMPTY_ID', async () => {
    const before = rec.requests.length;
    const error = await rejection(ns.request(request(''), bg()));
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.INVALID_ARGUMENT);
    assert.is(error.reason, 'BEGIN_EMPTY_ID');
    assert.is(rec.requests.length, before, 'beginServer refuses before the rest of the chain');
    await stillWorks();
  });

  errors('an absent connection is INVALID_ARGUMENT with reason BEGIN_EMPTY_ID', async () => {
    const error = await rejection(ns.request(NetworkServiceRequest.fromPartial({}), bg()));
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.INVALID_ARGUMENT);
    assert.is(error.reason, 'BEGIN_EMPTY_ID');
    await stillWorks();
  });

  errors('an unknown Connection field reaches the server and is echoed back', async () => {
    const id = nextId();
    // Connection bytes plus field 100 (varint 42), as a newer peer would send it.
    const writer = Connection.encode(Connection.fromPartial({ id, networkService: 'svc' }));
    writer.uint32((100 << 3) | 0).uint32(42);
    const connectionBytes = writer.finish();
    const requestBytes = new BinaryWriter()
      .uint32((1 << 3) | 2)
      .bytes(connectionBytes)
      .finish();
    const raw = {
      path: '/networkservice.NetworkService/Request',
      requestSerialize: (bytes: Uint8Array): Buffer => Buffer.from(bytes),
      responseDeserialize: (bytes: Buffer): Buffer => bytes,
    };
    const responseBytes = await noHang(conn!.unary(raw, requestBytes, bg()), 'raw request');

    const seen = rec.requests.at(-1)?.connection;
    assert.is(seen?.id, id);
    assert.equal(
      seen?._unknownFields?.[800]?.map((b) => [...b]),
      [[42]],
      'server kept the unknown field',
    );

    const echoed = Connection.decode(responseBytes);
    assert.is(echoed.id, id);
    assert.equal(
      echoed._unknownFields?.[800]?.map((b) => [...b]),
      [[42]],
      'unknown field echoed back',
    );
    await ns.close(echoed, bg());
    await stillWorks();
  });

  errors('garbage request bytes are refused and the server keeps working', async () => {
    const raw = {
      path: '/networkservice.NetworkService/Request',
      requestSerialize: (bytes: Uint8Array): Buffer => Buffer.from(bytes),
      responseDeserialize: (bytes: Buffer): Buffer => bytes,
    };
    // Field 1, length-delimited, claiming 100 bytes that are not there.
    const error = await rejection(conn!.unary(raw, Uint8Array.of(0x0a, 100, 1, 2), bg()));
    assert.ok(isStatusError(error), String(error));
    assert.is.not(error.code, Code.OK);
    await stillWorks();
  });

  errors.run();

  // ---------------------------------------------------------------------------------------------------------
  const meta = suite(`e2e ${kind}: NetworkService metadata`);
  meta.before(setup);
  meta.after(teardown);
  meta.before.each(() => {
    rec.behaviour = undefined;
  });

  meta('outgoing headers arrive as incoming headers; peer is known', async () => {
    const ctx = withOutgoingHeaders(bg(), { 'nsm-client-token': 't', 'X-Mixed-Case': 'v' });
    const got = await ns.request(request(nextId()), ctx);
    const serverCtx = rec.contexts.at(-1);
    assert.ok(serverCtx);
    assert.is(incomingHeader(serverCtx, 'nsm-client-token'), 't');
    assert.is(incomingHeader(serverCtx, 'x-mixed-case'), 'v');
    const peer = peerOf(serverCtx);
    assert.ok(peer, 'peerOf(ctx) on the server');
    assert.type(peer.address, 'string');
    assert.ok(peer.address.length > 0);
    await ns.close(got, bg());
  });

  meta('a response header set by the server arrives in withReceivedHeaders', async () => {
    rec.behaviour = async (req, ctx, next) => {
      setResponseHeader(ctx, 'path', '{"Index":1}');
      return next.request(req, ctx);
    };
    const { ctx, headers } = withReceivedHeaders(bg());
    const got = await ns.request(request(nextId()), ctx);
    assert.is(headers.get('path'), '{"Index":1}');
    await ns.close(got, bg());
  });

  meta('a response header set before a failure still arrives', async () => {
    rec.behaviour = (_req, ctx) => {
      setResponseHeader(ctx, 'path', '{"Index":2}');
      return Promise.reject(new StatusError(Code.UNAVAILABLE, 'down', { reason: 'DOWN' }));
    };
    const { ctx, headers } = withReceivedHeaders(bg());
    const error = await rejection(ns.request(request(nextId()), ctx));
    assert.ok(isStatusError(error));
    assert.is(error.reason, 'DOWN');
    assert.is(headers.get('path'), '{"Index":2}');
    await stillWorks();
  });

  meta('without withReceivedHeaders, response headers are simply dropped', async () => {
    rec.behaviour = async (req, ctx, next) => {
      setResponseHeader(ctx, 'path', '{"Index":3}');
      return next.request(req, ctx);
    };
    const got = await ns.request(request(nextId()), bg());
    await ns.close(got, bg());
  });

  meta.run();
}

const leakCheck = suite('e2e network-service: leaks');
leakCheck('no servers, sockets or timers left behind', () => leaks.check());
leakCheck.run();
