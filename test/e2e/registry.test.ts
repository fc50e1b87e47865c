/**
 * Both registries over real sockets, against the in-memory registry in helpers: Register echoes, Find without
 * watch sends the current matches and ends, Find with watch sends current then changes (deletions with
 * `deleted: true`) until the client cancels, which ends the server stream.
 */
import type { Observable, Subscription } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dial, type NsmConnection } from '../../src/api/client.js';
import { nseRegistryClient, nsRegistryClient } from '../../src/api/clients.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
  type NetworkServiceEndpointResponse,
  type NetworkServiceResponse,
} from '../../src/api/gen/registry.js';
import { serve, type NsmServer, type NsmServices } from '../../src/api/server.js';
import { withCancel } from '../../src/chain/cancel.js';
import { CallContext } from '../../src/chain/context.js';
import type { RegistryHandler } from '../../src/chain/registry.js';
import { isStatusError } from '../../src/chain/errors.js';
import {
  memoryRegistry,
  nseMemoryRegistry,
  nsMemoryRegistry,
  type MemoryRegistry,
} from './helpers/memory-registry.js';
import {
  aborted,
  deferred,
  leakTracker,
  Listen,
  noHang,
  transports,
  type TransportKind,
} from './helpers/transports.js';

const bg = (): CallContext => CallContext.background();
const leaks = leakTracker();

/** What differs between the two registries, so one set of tests covers both. */
interface RegistrySpec<TEntry, TQuery, TResponse> {
  readonly label: string;
  memory(): MemoryRegistry<TEntry, TQuery, TResponse>;
  services(registry: MemoryRegistry<TEntry, TQuery, TResponse>): NsmServices;
  client(conn: NsmConnection): RegistryHandler<TEntry, TQuery, TResponse>;
  entry(name: string, version: string): TEntry;
  query(name: string, watch: boolean): TQuery;
  entryOf(response: TResponse): TEntry | undefined;
  deletedOf(response: TResponse): boolean;
  nameOf(entry: TEntry | undefined): string | undefined;
  /** Asserts every field of `expected` survived the round trip into `actual`. */
  assertSame(actual: TEntry | undefined, expected: TEntry): void;
  /** The per-entry field that changes between versions. */
  versionOf(entry: TEntry | undefined): string | undefined;
}

const nseSpec: RegistrySpec<
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse
> = {
  label: 'NSE registry',
  memory: nseMemoryRegistry,
  services: (nseRegistry) => ({ nseRegistry }),
  client: nseRegistryClient,
  entry: (name, version) =>
    NetworkServiceEndpoint.fromPartial({
      name,
      networkServiceNames: ['svc', 'forwarder'],
      networkServiceLabels: { svc: { labels: { app: name, version } } },
      url: `tcp://10.0.0.1:5001`,
      expirationTime: { seconds: 1_900_000_000, nanos: 42 },
      initialRegistrationTime: { seconds: 1_800_000_000, nanos: 7 },
      pathIds: ['spiffe://a', 'spiffe://b'],
    }),
  query: (name, watch) =>
    NetworkServiceEndpointQuery.fromPartial({ networkServiceEndpoint: { name }, watch }),
  entryOf: (response) => response.networkServiceEndpoint,
  deletedOf: (response) => response.deleted,
  nameOf: (entry) => entry?.name,
  versionOf: (entry) => entry?.networkServiceLabels['svc']?.labels['version'],
  assertSame(actual, expected) {
    assert.ok(actual);
    assert.is(actual.name, expected.name);
    assert.equal(actual.networkServiceNames, expected.networkServiceNames);
    assert.equal(actual.networkServiceLabels['svc']?.labels, expected.networkServiceLabels['svc']?.labels);
    assert.is(actual.url, expected.url);
    assert.is(actual.expirationTime?.seconds, expected.expirationTime?.seconds);
    assert.is(actual.expirationTime?.nanos, expected.expirationTime?.nanos);
    assert.is(actual.initialRegistrationTime?.seconds, expected.initialRegistrationTime?.seconds);
    assert.is(actual.initialRegistrationTime?.nanos, expected.initialRegistrationTime?.nanos);
    assert.equal(actual.pathIds, expected.pathIds);
  },
};

const nsSpec: RegistrySpec<NetworkService, NetworkServiceQuery, NetworkServiceResponse> = {
  label: 'NS registry',
  memory: nsMemoryRegistry,
  services: (nsRegistry) => ({ nsRegistry }),
  client: nsRegistryClient,
  entry: (name, version) =>
    NetworkService.fromPartial({
      name,
      payload: 'ETHERNET',
      matches: [
        {
          sourceSelector: { app: 'nsc' },
          routes: [{ destinationSelector: { version }, weight: 3 }],
          fallthrough: true,
          metadata: { labels: { p2p: 'true' } },
        },
      ],
      pathIds: ['spiffe://a'],
    }),
  query: (name, watch) => NetworkServiceQuery.fromPartial({ networkService: { name }, watch }),
  entryOf: (response) => response.networkService,
  deletedOf: (response) => response.deleted,
  nameOf: (entry) => entry?.name,
  versionOf: (entry) => entry?.matches[0]?.routes[0]?.destinationSelector['version'],
  assertSame(actual, expected) {
    assert.ok(actual);
    assert.is(actual.name, expected.name);
    assert.is(actual.payload, expected.payload);
    assert.is(actual.matches.length, 1);
    const [a, e] = [actual.matches[0], expected.matches[0]];
    assert.equal(a?.sourceSelector, e?.sourceSelector);
    assert.equal(a?.routes[0]?.destinationSelector, e?.routes[0]?.destinationSelector);
    assert.is(a?.routes[0]?.weight, e?.routes[0]?.weight);
    assert.is(a?.fallthrough, e?.fallthrough);
    assert.equal(a?.metadata?.labels, e?.metadata?.labels);
    assert.equal(actual.pathIds, expected.pathIds);
  },
};

/** Subscribes and collects responses; `atLeast(n)` waits for n of them. */
function collect<T>(stream$: Observable<T>): {
  readonly received: T[];
  readonly subscription: Subscription;
  readonly ended: Promise<{ kind: 'complete' } | { kind: 'error'; error: unknown }>;
  atLeast(count: number): Promise<void>;
} {
  const received: T[] = [];
  const ended = deferred<{ kind: 'complete' } | { kind: 'error'; error: unknown }>();
  let waiters: { count: number; resolve: () => void }[] = [];
  const subscription = stream$.subscribe({
    next: (value) => {
      received.push(value);
      const ready = waiters.filter((w) => received.length >= w.count);
      waiters = waiters.filter((w) => received.length < w.count);
      for (const w of ready) w.resolve();
    },
    error: (error: unknown) => ended.resolve({ kind: 'error', error }),
    complete: () => ended.resolve({ kind: 'complete' }),
  });
  return {
    received,
    subscription,
    ended: ended.promise,
    atLeast(count) {
      if (received.length >= count) return Promise.resolve();
      const { promise, resolve } = deferred();
      waiters.push({ count, resolve });
      return noHang(promise, `${count} responses`);
    },
  };
}

function registrySuite<TEntry, TQuery, TResponse>(
  kind: TransportKind,
  spec: RegistrySpec<TEntry, TQuery, TResponse>,
): void {
  const listen = new Listen(kind);
  let registry: MemoryRegistry<TEntry, TQuery, TResponse>;
  let server: NsmServer | undefined;
  let conn: NsmConnection | undefined;
  let client: RegistryHandler<TEntry, TQuery, TResponse>;
  const names = (responses: readonly TResponse[]): (string | undefined)[] =>
    responses.map((r) => spec.nameOf(spec.entryOf(r)));

  const s = suite(`e2e ${kind}: ${spec.label}`);
  s.before(async () => {
    leaks.snapshot();
  });
  s.before.each(async () => {
    registry = spec.memory();
    server = await serve(listen.url(), spec.services(registry));
    conn = dial(server.url);
    client = spec.client(conn);
  });
  s.after.each(async () => {
    conn?.close();
    await server?.close(100);
    conn = undefined;
    server = undefined;
  });
  s.after(() => listen.cleanup());

  s('register echoes the entry with every field', async () => {
    const entry = spec.entry('e1', 'v1');
    const echoed = await client.register(entry, bg());
    spec.assertSame(echoed, entry);
    spec.assertSame(registry.entries.get('e1'), entry);
  });

  s('find without watch sends the current matches, then completes', async () => {
    await client.register(spec.entry('e1', 'v1'), bg());
    await client.register(spec.entry('e2', 'v1'), bg());
    const all = collect(client.find(spec.query('', false), bg()));
    assert.equal(await noHang(all.ended, 'find all'), { kind: 'complete' });
    assert.equal(names(all.received).sort(), ['e1', 'e2']);
    assert.ok(all.received.every((r) => !spec.deletedOf(r)));
    spec.assertSame(
      spec.entryOf(all.received.find((r) => spec.nameOf(spec.entryOf(r)) === 'e1')!),
      spec.entry('e1', 'v1'),
    );

    const one = collect(client.find(spec.query('e2', false), bg()));
    assert.equal(await noHang(one.ended, 'find one'), { kind: 'complete' });
    assert.equal(names(one.received), ['e2']);

    const none = collect(client.find(spec.query('nope', false), bg()));
    assert.equal(await noHang(none.ended, 'find none'), { kind: 'complete' });
    assert.is(none.received.length, 0);
    await noHang(
      (async () => {
        while (registry.teardowns < 3) await registry.nextTeardown();
      })(),
      'server streams ended',
    );
  });

  s(
    'find with watch sends current, then a later register, then an unregister with deleted: true',
    async () => {
      await client.register(spec.entry('e1', 'v1'), bg());
      await client.register(spec.entry('other', 'v1'), bg());
      const watching = registry.nextWatch();
      const w = collect(client.find(spec.query('e1', true), bg()));
      await noHang(watching, 'server watch subscribed');
      await w.atLeast(1);
      assert.equal(names(w.received), ['e1']);
      assert.is(spec.versionOf(spec.entryOf(w.received[0]!)), 'v1');

      await client.register(spec.entry('e1', 'v2'), bg());
      await client.register(spec.entry('other', 'v2'), bg()); // not matching: not sent
      await w.atLeast(2);
      assert.is(spec.versionOf(spec.entryOf(w.received[1]!)), 'v2');
      assert.not.ok(spec.deletedOf(w.received[1]!));

      await client.unregister(spec.entry('e1', 'v2'), bg());
      await w.atLeast(3);
      assert.equal(names(w.received), ['e1', 'e1', 'e1']);
      assert.ok(spec.deletedOf(w.received[2]!), 'deleted: true');
      spec.assertSame(spec.entryOf(w.received[2]!), spec.entry('e1', 'v2'));

      const torn = registry.nextTeardown();
      w.subscription.unsubscribe();
      await noHang(torn, 'server teardown after unsubscribe');
    },
  );

  s('a wildcard watch sees every change in order', async () => {
    const watching = registry.nextWatch();
    const w = collect(client.find(spec.query('', true), bg()));
    await noHang(watching, 'server watch subscribed');
    await client.register(spec.entry('a', 'v1'), bg());
    await client.register(spec.entry('b', 'v1'), bg());
    await client.unregister(spec.entry('a', 'v1'), bg());
    await w.atLeast(3);
    assert.equal(
      w.received.map((r) => [spec.nameOf(spec.entryOf(r)), spec.deletedOf(r)]),
      [
        ['a', false],
        ['b', false],
        ['a', true],
      ],
    );
    w.subscription.unsubscribe();
  });

  s('unsubscribing a watch ends the server stream and aborts its ctx', async () => {
    await client.register(spec.entry('e1', 'v1'), bg());
    const watching = registry.nextWatch();
    const w = collect(client.find(spec.query('e1', true), bg()));
    await noHang(watching, 'server watch subscribed');
    await w.atLeast(1);
    const serverCtx = registry.findContexts.at(-1);
    assert.ok(serverCtx);
    assert.is(registry.watchers, 1);
    const torn = registry.nextTeardown();
    w.subscription.unsubscribe();
    await noHang(torn, 'server teardown');
    await noHang(aborted(serverCtx.signal), 'server ctx abort');
    assert.is(registry.watchers, 0);
  });

  s('aborting the client ctx completes the watch and ends the server stream', async () => {
    const watching = registry.nextWatch();
    const scope = withCancel(bg());
    const w = collect(client.find(spec.query('', true), scope.ctx));
    await noHang(watching, 'server watch subscribed');
    const serverCtx = registry.findContexts.at(-1);
    assert.ok(serverCtx);
    const torn = registry.nextTeardown();
    scope.cancel();
    assert.equal(await noHang(w.ended, 'client watch end'), { kind: 'complete' });
    await noHang(torn, 'server teardown');
    await noHang(aborted(serverCtx.signal), 'server ctx abort');
    assert.is(registry.watchers, 0);
  });

  s('two watches on one channel are independent', async () => {
    const first = registry.nextWatch();
    const w1 = collect(client.find(spec.query('', true), bg()));
    await noHang(first, 'first watch');
    const second = registry.nextWatch();
    const w2 = collect(client.find(spec.query('', true), bg()));
    await noHang(second, 'second watch');
    const torn = registry.nextTeardown();
    w1.subscription.unsubscribe();
    await noHang(torn, 'first teardown');
    await client.register(spec.entry('x', 'v1'), bg());
    await w2.atLeast(1);
    assert.equal(names(w2.received), ['x']);
    assert.is(w1.received.length, 0);
    w2.subscription.unsubscribe();
  });

  s(
    'closing the server with a watch open ends the client stream with a StatusError and tears down the server stream',
    async () => {
      const watching = registry.nextWatch();
      const w = collect(client.find(spec.query('', true), bg()));
      await noHang(watching, 'server watch subscribed');
      const torn = registry.nextTeardown();
      const closing = server!.close(50);
      server = undefined;
      await noHang(closing, 'server close');
      await noHang(torn, 'server teardown');
      const end = await noHang(w.ended, 'client watch end');
      assert.is(end.kind, 'error', 'the client did not cancel, so the stream must not look like a clean end');
      // grpc-js forceShutdown resets the streams: the client currently sees CANCELLED (Go servers give UNAVAILABLE).
      assert.ok(
        end.kind === 'error' && isStatusError(end.error),
        String(end.kind === 'error' ? end.error : ''),
      );
    },
  );

  s.run();
}

for (const kind of transports) {
  registrySuite(kind, nseSpec);
  registrySuite(kind, nsSpec);
}

// The helper itself, without the wire: the generic form works for any entry type.
const helper = suite('e2e helpers: memoryRegistry');
helper('generic memory registry: find by name, watch, unregister', async () => {
  const registry = memoryRegistry({
    nameOf: (e: { name: string; v: number }) => e.name,
    templateOf: (q: { name: string; watch: boolean }) => ({ name: q.name, v: 0 }),
    watchOf: (q: { name: string; watch: boolean }) => q.watch,
    response: (e: { name: string; v: number }, deleted: boolean) => ({ e, deleted }),
    clone: (e: { name: string; v: number }) => ({ ...e }),
  });
  await registry.register({ name: 'a', v: 1 }, bg());
  const seen: { e: { name: string; v: number }; deleted: boolean }[] = [];
  const sub = registry.find({ name: 'a', watch: true }, bg()).subscribe((r) => seen.push(r));
  await registry.register({ name: 'a', v: 2 }, bg());
  await registry.unregister({ name: 'a', v: 0 }, bg());
  sub.unsubscribe();
  assert.equal(seen, [
    { e: { name: 'a', v: 1 }, deleted: false },
    { e: { name: 'a', v: 2 }, deleted: false },
    { e: { name: 'a', v: 2 }, deleted: true },
  ]);
  assert.is(registry.teardowns, 1);
});
helper.run();

const leakCheck = suite('e2e registry: leaks');
leakCheck('no servers, sockets or timers left behind', () => leaks.check());
leakCheck.run();
