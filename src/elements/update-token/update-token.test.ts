import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import { Connection, Path } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { peerOf, withIncomingCall } from '../../chain/call-metadata.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { withLogger, type Logger } from '../../chain/logger.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import type { TokenGenerator } from '../../chain/token.js';
import { checkRequest, manualClock } from '../../testing/index.js';
import { updatePathClient, updatePathServer } from '../update-path/index.js';
import { updateTokenServer } from './index.js';

const clock = manualClock(Date.UTC(2026, 0, 1));
const LIFETIME = 3_600_000;
let issued = 0;
/** Tokens `t1`, `t2`, ... expiring one hour after now on the manual clock. */
const generator: TokenGenerator = () => ({ token: `t${++issued}`, expiresAt: clock.now() + LIFETIME });
const expires = () => timestampFromMs(clock.now() + LIFETIME);

interface Warning {
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

function capture(): { logger: Logger; warnings: Warning[] } {
  const warnings: Warning[] = [];
  return {
    warnings,
    logger: {
      isEnabled: () => true,
      log: (level, message, fields) => {
        if (level === 'warn') warnings.push({ message, fields });
      },
    },
  };
}

const base = (logger?: Logger): CallContext => {
  const ctx = withClock(CallContext.background(), clock);
  return logger === undefined ? ctx : withLogger(ctx, logger);
};

/** A server-call context carrying `headers`, as the gRPC edge builds it. */
const incoming = (headers: Record<string, string[]>, logger?: Logger): CallContext =>
  withIncomingCall(base(logger), headers, { address: '127.0.0.1:5000' });

const twoHopPath = (index: number, count = 2): Path =>
  Path.fromPartial({
    index,
    pathSegments: [
      { name: 'nsc-0', id: 'conn-0' },
      { name: 'nsc-1', id: 'conn-1' },
      { name: 'nsc-2', id: 'conn-2' },
    ].slice(0, count),
  });

const req = (id: string, path?: Path): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id, ...(path === undefined ? {} : { path }) } });

function record(into: Connection[]): NetworkServiceElement {
  return {
    name: 'record',
    request: async (r) => {
      into.push(r.connection!);
      return r.connection!;
    },
    close: async (c) => void into.push(c),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
const own = suite('update-token: own segment');

own('an empty path (after updatepath) gets a token and expiry on segment 0, with no warning', async () => {
  const { logger, warnings } = capture();
  const handler = networkServiceHandler([updatePathServer('nsc-1'), updateTokenServer(generator)]);
  const conn = await handler.request(req('conn-1'), base(logger));
  assert.is(conn.path?.pathSegments.length, 1);
  assert.match(conn.path?.pathSegments[0]?.token ?? '', /^t\d+$/);
  assert.equal(conn.path?.pathSegments[0]?.expires, expires());
  assert.equal(warnings, []);
});

own('index at the end: updatepath appends, the new segment gets the token', async () => {
  const handler = networkServiceHandler([updatePathServer('nsc-2'), updateTokenServer(generator)]);
  const conn = await handler.request(req('conn-1', twoHopPath(1)), base());
  assert.is(conn.path?.pathSegments.length, 3);
  assert.is(conn.path?.pathSegments[2]?.name, 'nsc-2');
  assert.match(conn.path?.pathSegments[2]?.token ?? '', /^t\d+$/);
  assert.equal(conn.path?.pathSegments[2]?.expires, expires());
});

own('an existing next segment only gets token and expiry overwritten', async () => {
  const handler = networkServiceHandler([updatePathServer('nsc-2'), updateTokenServer(generator)]);
  const request = req('conn-1', twoHopPath(1, 3));
  const conn = await handler.request(request, base());
  const expected = cloneMessage(request.connection!);
  expected.path!.pathSegments[2]!.token = conn.path!.pathSegments[2]!.token;
  expected.path!.pathSegments[2]!.expires = expires();
  assert.equal(conn, expected);
});

own('the generator gets the call context (peer, clock)', async () => {
  const peers: (string | undefined)[] = [];
  const spy: TokenGenerator = (ctx) => {
    peers.push(peerOf(ctx)?.address);
    return generator(ctx);
  };
  await networkServiceHandler([updateTokenServer(spy)]).request(req('conn-0', twoHopPath(0)), incoming({}));
  assert.equal(peers, ['127.0.0.1:5000']);
});

own('a chain of clients and servers leaves a token on every segment and returns index 0', async () => {
  const handler = networkServiceHandler([
    updatePathClient('nsc-1'),
    updateTokenServer(generator),
    updatePathServer('local-nsm-1'),
    updateTokenServer(generator),
    updatePathClient('local-nsm-1'),
    updatePathServer('remote-nsm-1'),
    updateTokenServer(generator),
    updatePathClient('remote-nsm-1'),
    updateTokenServer(generator),
  ]);
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'conn-2', path: { index: 0 } } }),
    base(),
  );
  assert.is(conn.path?.index, 0);
  assert.equal(
    conn.path?.pathSegments.map((s) => s.name),
    ['nsc-1', 'local-nsm-1', 'remote-nsm-1'],
  );
  for (const segment of conn.path?.pathSegments ?? []) {
    assert.match(segment.token, /^t\d+$/);
    assert.equal(segment.expires, expires());
  }
});

own.run();

// ---------------------------------------------------------------------------------------------------------
const caller = suite("update-token: the caller's token from the call headers");

caller(
  'the previous segment gets the presented token and its RFC 3339 expiry, nanoseconds kept',
  async () => {
    const seen: Connection[] = [];
    const ctx = incoming({
      'nsm-client-token': ['caller-token'],
      'nsm-client-token-expires': ['2026-01-01T00:30:00.123456789Z'],
    });
    await networkServiceHandler([updateTokenServer(generator), record(seen)]).request(
      req('conn-1', twoHopPath(1)),
      ctx,
    );
    const prev = seen[0]?.path?.pathSegments[0];
    assert.is(prev?.token, 'caller-token');
    assert.equal(prev?.expires, { seconds: Date.UTC(2026, 0, 1, 0, 30) / 1000, nanos: 123456789 });
    assert.match(seen[0]?.path?.pathSegments[1]?.token ?? '', /^t\d+$/);
  },
);

caller(
  'missing, repeated or malformed headers: a warning, and the previous segment left as it came',
  async () => {
    const cases: Record<string, string[]>[] = [
      {},
      { 'nsm-client-token': ['a'] },
      { 'nsm-client-token': ['a', 'b'], 'nsm-client-token-expires': ['2026-01-01T00:00:00Z'] },
      { 'nsm-client-token': ['a'], 'nsm-client-token-expires': ['yesterday'] },
      { 'nsm-client-token': ['a'], 'nsm-client-token-expires': [] },
    ];
    for (const headers of cases) {
      const { logger, warnings } = capture();
      const seen: Connection[] = [];
      const path = twoHopPath(1);
      path.pathSegments[0]!.token = 'old';
      await networkServiceHandler([updateTokenServer(generator), record(seen)]).request(
        req('conn-1', path),
        incoming(headers, logger),
      );
      assert.is(warnings.length, 1, JSON.stringify(headers));
      assert.ok(warnings[0]?.message.startsWith('update-token: '));
      assert.is(seen[0]?.path?.pathSegments[0]?.token, 'old');
      assert.is(seen[0]?.path?.pathSegments[0]?.expires, undefined);
    }
  },
);

caller('Close updates both segments the same way', async () => {
  const seen: Connection[] = [];
  const ctx = incoming({
    'nsm-client-token': ['caller-token'],
    'nsm-client-token-expires': ['2026-01-01T01:00:00Z'],
  });
  const closing = deepFreeze(Connection.fromPartial({ id: 'conn-1', path: twoHopPath(1) }));
  await networkServiceHandler([updateTokenServer(generator), record(seen)]).close(closing, ctx);
  assert.is(seen[0]?.path?.pathSegments[0]?.token, 'caller-token');
  assert.equal(seen[0]?.path?.pathSegments[0]?.expires, timestampFromMs(Date.UTC(2026, 0, 1, 1)));
  assert.match(seen[0]?.path?.pathSegments[1]?.token ?? '', /^t\d+$/);
});

caller.run();

// ---------------------------------------------------------------------------------------------------------
const errors = suite('update-token: errors and hygiene');

errors(
  'index out of range or no path: INVALID_ARGUMENT UPDATETOKEN_INDEX_OUT_OF_RANGE, next not called',
  async () => {
    let reached = 0;
    const handler = networkServiceHandler([updateTokenServer(generator), checkRequest(() => void reached++)]);
    for (const request of [
      req('conn-1', twoHopPath(2)),
      req('conn-1'),
      NetworkServiceRequest.fromPartial({}),
    ]) {
      const error = await rejection(handler.request(request, base()));
      assert.ok(isStatusError(error));
      if (isStatusError(error)) {
        assert.is(error.code, Code.INVALID_ARGUMENT);
        assert.is(error.reason, 'UPDATETOKEN_INDEX_OUT_OF_RANGE');
        assert.ok(error.message.startsWith('update-token: '));
      }
    }
    const closeError = await rejection(handler.close(Connection.fromPartial({ id: 'x' }), base()));
    assert.is(isStatusError(closeError) && closeError.reason, 'UPDATETOKEN_INDEX_OUT_OF_RANGE');
    assert.is(reached, 0);
  },
);

errors('never mutates the request; a downstream failure passes through', async () => {
  const request = deepFreeze(req('conn-1', twoHopPath(1)));
  const failure = new Error('down');
  const handler = networkServiceHandler([
    updateTokenServer(generator),
    { name: 'fail', request: () => Promise.reject(failure) },
  ]);
  assert.is(await rejection(handler.request(request, base())), failure);
  assert.is(request.connection?.path?.pathSegments[1]?.token, '');
});

errors(
  'a generator failure is INTERNAL UPDATETOKEN_GENERATE_FAILED; a StatusError passes as is',
  async () => {
    const cause = new Error('no svid');
    const failing = networkServiceHandler([
      updateTokenServer(() => {
        throw cause;
      }),
    ]);
    const error = await rejection(failing.request(req('conn-0', twoHopPath(0)), base()));
    assert.ok(isStatusError(error));
    if (isStatusError(error)) {
      assert.is(error.code, Code.INTERNAL);
      assert.is(error.reason, 'UPDATETOKEN_GENERATE_FAILED');
      assert.is(error.cause, cause);
    }
    const status = new StatusError(Code.UNAVAILABLE, 'svid not ready');
    const refusing = networkServiceHandler([
      updateTokenServer(() => {
        throw status;
      }),
    ]);
    assert.is(await rejection(refusing.request(req('conn-0', twoHopPath(0)), base())), status);
  },
);

errors('a missing generator is a ConfigError', () => {
  assert.throws(
    () => updateTokenServer(undefined as unknown as TokenGenerator),
    (e: unknown) => e instanceof ConfigError,
  );
});

errors.run();
