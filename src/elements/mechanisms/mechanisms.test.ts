import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, Mechanism } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { checkRequest, count, injectError } from '../../testing/index.js';
import { Cls, mechanismsClient, mechanismsServer, MechanismType } from './index.js';

const bg = (): CallContext => CallContext.background();
const isConfigError = (e: unknown): boolean => e instanceof TypeError && e.name === 'ConfigError';
const pass = (name: string): NetworkServiceElement => ({ name });

const preferences = (): Mechanism[] => [
  Mechanism.fromPartial({ cls: Cls.LOCAL, type: MechanismType.MEMIF }),
  Mechanism.fromPartial({ cls: Cls.LOCAL, type: MechanismType.KERNEL }),
  Mechanism.fromPartial({ cls: Cls.REMOTE, type: MechanismType.SRV6 }),
  Mechanism.fromPartial({ cls: Cls.REMOTE, type: MechanismType.VXLAN }),
];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const allTypes = (): Record<string, NetworkServiceElement> => ({
  MEMIF: pass('memif'),
  KERNEL: pass('kernel'),
  SRV6: pass('srv6'),
  VXLAN: pass('vxlan'),
});

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const withPath = (prefs: Mechanism[], ifname = 'nsm-1'): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id: 'c', path: { index: 0, pathSegments: [{ name: 'me' }] } },
    mechanismPreferences: prefs.map((m, i) =>
      i === 0 ? { ...m, parameters: { ...m.parameters, name: ifname } } : m,
    ),
  });

// ---------------------------------------------------------------------------------------------------------
const select = suite('mechanisms server: selection');

select('picks the first preference, whatever the order', async () => {
  const handler = networkServiceHandler([mechanismsServer(allTypes())]);
  for (const order of permutations(preferences())) {
    const request = NetworkServiceRequest.fromPartial({
      connection: { id: 'c' },
      mechanismPreferences: order,
    });
    const conn = await handler.request(request, bg());
    assert.is(conn.mechanism?.type, order[0]?.type);
    assert.is(conn.mechanism?.cls, order[0]?.cls);
    assert.is(request.connection?.mechanism, undefined, 'the request is not changed');
    await handler.close(conn, bg());
  }
});

select('an already chosen mechanism is kept, whatever the preferences', async () => {
  const handler = networkServiceHandler([mechanismsServer(allTypes())]);
  for (const order of permutations(preferences())) {
    const chosen = order[order.length - 1]!;
    const request = NetworkServiceRequest.fromPartial({
      connection: { id: 'c', mechanism: chosen },
      mechanismPreferences: order,
    });
    const conn = await handler.request(request, bg());
    assert.equal(conn.mechanism, chosen);
  }
});

select('skips unregistered and failing preferences; the first success wins', async () => {
  const handler = networkServiceHandler([
    mechanismsServer({
      mech1: injectError({ error: new Error('no 1') }),
      mech2: injectError({ error: new Error('no 2') }),
      mech3: pass('mech3'),
    }),
  ]);
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c' },
    mechanismPreferences: [{ type: 'other' }, { type: 'mech1' }, { type: 'mech2' }, { type: 'mech3' }],
  });
  const conn = await handler.request(request, bg());
  assert.is(conn.mechanism?.type, 'mech3');
  await handler.close(conn, bg());
});

select('the per-type element continues into the rest of the outer chain, once per call', async () => {
  const after = count();
  const handler = networkServiceHandler([mechanismsServer(allTypes()), after]);
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c', mechanism: { type: MechanismType.MEMIF } },
  });
  const conn = await handler.request(request, bg());
  assert.is(after.requests, 1);
  await handler.close(conn, bg());
  assert.is(after.closes, 1);
});

select('a failed attempt runs the rest of the chain; the next preference runs it again', async () => {
  const after = count();
  const seen: string[] = [];
  const handler = networkServiceHandler([
    mechanismsServer(allTypes()),
    after,
    checkRequest((r) => {
      seen.push(r.connection?.mechanism?.type ?? '');
      if (r.connection?.mechanism?.type === MechanismType.MEMIF) throw new Error('memif is broken');
    }),
  ]);
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'c' }, mechanismPreferences: preferences() }),
    bg(),
  );
  assert.is(conn.mechanism?.type, MechanismType.KERNEL);
  assert.equal(seen, ['MEMIF', 'KERNEL']);
  assert.is(after.requests, 2);
});

select.run();

// ---------------------------------------------------------------------------------------------------------
const errors = suite('mechanisms server: errors');

errors(
  'an unsupported chosen mechanism fails with MECHANISMS_UNSUPPORTED, on Request and Close',
  async () => {
    const handler = networkServiceHandler([mechanismsServer(allTypes())]);
    const bad = Mechanism.fromPartial({ cls: 'NOT_A_CLS', type: 'NOT_A_TYPE' });
    const error = await rejects(
      handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'c', mechanism: bad } }), bg()),
    );
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INVALID_ARGUMENT);
    assert.is(error.reason, 'MECHANISMS_UNSUPPORTED');
    assert.ok(error.message.startsWith('mechanisms:'));
    const closeError = await rejects(
      handler.close(Connection.fromPartial({ id: 'c', mechanism: bad }), bg()),
    );
    assert.ok(isStatusError(closeError));
    assert.is(closeError.reason, 'MECHANISMS_UNSUPPORTED');
    const noMechanism = await rejects(handler.close(Connection.fromPartial({ id: 'c' }), bg()));
    assert.ok(isStatusError(noMechanism));
  },
);

errors('no usable preference fails with MECHANISMS_NONE_SUPPORTED and an AggregateError cause', async () => {
  const boom = new Error('downstream failed');
  const handler = networkServiceHandler([
    mechanismsServer({ MEMIF: pass('memif') }),
    injectError({ error: boom }),
  ]);
  const onlyUnknown = NetworkServiceRequest.fromPartial({
    connection: { id: 'c' },
    mechanismPreferences: [{ cls: 'NOT_A_CLS', type: 'NOT_A_TYPE' }],
  });
  const first = await rejects(handler.request(onlyUnknown, bg()));
  assert.ok(isStatusError(first));
  assert.is(first.reason, 'MECHANISMS_NONE_SUPPORTED');
  assert.is(first.code, Code.INVALID_ARGUMENT);
  assert.ok(first.cause instanceof AggregateError);
  assert.equal(first.cause.errors, []);

  const failing = NetworkServiceRequest.fromPartial({
    connection: { id: 'c' },
    mechanismPreferences: preferences(),
  });
  const second = await rejects(handler.request(failing, bg()));
  assert.ok(isStatusError(second));
  assert.ok(second.cause instanceof AggregateError);
  assert.equal(second.cause.errors, [boom]);
});

errors('a downstream error on the chosen mechanism passes through unchanged', async () => {
  const boom = new Error('boom');
  const handler = networkServiceHandler([mechanismsServer({ MEMIF: injectError({ error: boom }) })]);
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c', mechanism: { cls: Cls.LOCAL, type: MechanismType.MEMIF } },
  });
  assert.is(await rejects(handler.request(request, bg())), boom);
});

errors('an abort stops the search and passes through untouched', async () => {
  const controller = new AbortController();
  const reason = new DOMException('cancelled', 'AbortError');
  const tried: string[] = [];
  const handler = networkServiceHandler([
    mechanismsServer(allTypes()),
    checkRequest((r) => {
      tried.push(r.connection?.mechanism?.type ?? '');
      controller.abort(reason);
      throw reason;
    }),
  ]);
  const request = NetworkServiceRequest.fromPartial({
    connection: { id: 'c' },
    mechanismPreferences: preferences(),
  });
  const error = await rejects(handler.request(request, CallContext.of({ signal: controller.signal })));
  assert.is(error, reason);
  assert.equal(tried, ['MEMIF']);
});

errors.run();

// ---------------------------------------------------------------------------------------------------------
const metrics = suite('mechanisms: interface metrics');

metrics('the server records "TYPE/ifname" as server_interface in the current segment', async () => {
  const handler = networkServiceHandler([mechanismsServer(allTypes())]);
  for (const order of permutations(preferences())) {
    const request = withPath(order);
    const conn = await handler.request(request, bg());
    assert.is(conn.path?.pathSegments[0]?.metrics['server_interface'], `${order[0]?.type}/nsm-1`);
    assert.equal(request.connection?.path?.pathSegments[0]?.metrics, {}, 'the request is not changed');
  }
});

metrics('an existing metric is kept; an empty parameter map reads as "unknown"', async () => {
  const handler = networkServiceHandler([mechanismsServer(allTypes())]);
  const kept = withPath(preferences());
  kept.connection!.path!.pathSegments[0]!.metrics = { server_interface: 'KERNEL/old' };
  const conn = await handler.request(kept, bg());
  assert.is(conn.path?.pathSegments[0]?.metrics['server_interface'], 'KERNEL/old');

  const bare = NetworkServiceRequest.fromPartial({
    connection: { id: 'c', mechanism: { type: 'VXLAN' }, path: { index: 0, pathSegments: [{}] } },
  });
  const conn2 = await handler.request(bare, bg());
  assert.is(conn2.path?.pathSegments[0]?.metrics['server_interface'], 'VXLAN/unknown');
});

metrics('the client records client_interface from the preference it tries', async () => {
  const handler = networkServiceHandler([mechanismsClient(allTypes())]);
  for (const order of permutations(preferences())) {
    const conn = await handler.request(withPath(order), bg());
    assert.is(conn.path?.pathSegments[0]?.metrics['client_interface'], `${order[0]?.type}/nsm-1`);
  }
});

metrics('no path, or an index past the segments, records nothing', async () => {
  const handler = networkServiceHandler([mechanismsServer(allTypes())]);
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'c' }, mechanismPreferences: preferences() }),
    bg(),
  );
  assert.is(conn.path, undefined);
  const past = await handler.request(
    NetworkServiceRequest.fromPartial({
      connection: { id: 'c', path: { index: 3, pathSegments: [{}] } },
      mechanismPreferences: preferences(),
    }),
    bg(),
  );
  assert.equal(past.path?.pathSegments[0]?.metrics, {});
});

metrics.run();

// ---------------------------------------------------------------------------------------------------------
const client = suite('mechanisms client');

client('passes the request through: the server chooses, the preferences stay', async () => {
  let seen: NetworkServiceRequest | undefined;
  const handler = networkServiceHandler([
    mechanismsClient(allTypes()),
    checkRequest((r) => {
      seen = r;
    }),
  ]);
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'c' }, mechanismPreferences: preferences() }),
    bg(),
  );
  assert.is(conn.mechanism, undefined);
  assert.is(seen?.mechanismPreferences.length, 4);
});

client(
  'the first registered type whose element succeeds handles the request; Close by mechanism type',
  async () => {
    const kernelCalls = count();
    const memifCalls = count();
    const handler = networkServiceHandler([
      mechanismsClient({
        mech1: injectError({ error: new Error('unsupported') }),
        MEMIF: memifCalls,
        KERNEL: kernelCalls,
      }),
      mechanismsServer({ MEMIF: pass('memif') }),
    ]);
    const request = NetworkServiceRequest.fromPartial({
      connection: { id: 'c' },
      mechanismPreferences: [
        { type: 'mech1' },
        { type: MechanismType.MEMIF },
        { type: MechanismType.KERNEL },
      ],
    });
    const conn = await handler.request(request, bg());
    assert.is(conn.mechanism?.type, MechanismType.MEMIF);
    assert.is(memifCalls.requests, 1);
    assert.is(kernelCalls.requests, 0);
    await handler.close(conn, bg());
    assert.is(memifCalls.closes, 1);
  },
);

client('unsupported chosen mechanism and unusable preferences fail like the server', async () => {
  const handler = networkServiceHandler([mechanismsClient(allTypes())]);
  const bad = Mechanism.fromPartial({ cls: 'NOT_A_CLS', type: 'NOT_A_TYPE' });
  const a = await rejects(
    handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'c', mechanism: bad } }), bg()),
  );
  assert.ok(isStatusError(a));
  assert.is(a.reason, 'MECHANISMS_UNSUPPORTED');
  const b = await rejects(
    handler.request(
      NetworkServiceRequest.fromPartial({ connection: { id: 'c' }, mechanismPreferences: [bad] }),
      bg(),
    ),
  );
  assert.ok(isStatusError(b));
  assert.is(b.reason, 'MECHANISMS_NONE_SUPPORTED');
  const c = await rejects(handler.close(Connection.fromPartial({ id: 'c', mechanism: bad }), bg()));
  assert.ok(isStatusError(c));
});

client('bad configuration is a ConfigError', () => {
  assert.throws(() => mechanismsServer({ KERNEL: 42 as unknown as NetworkServiceElement }), isConfigError);
  assert.throws(() => mechanismsClient({ KERNEL: null as unknown as NetworkServiceElement }), isConfigError);
});

client.run();
