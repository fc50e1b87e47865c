/**
 * connection.MonitorConnection/MonitorConnections over real sockets: event order, client unsubscribe and
 * abort reaching the server stream, server errors reaching the client.
 */
import { Observable, ReplaySubject, type Subscription } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dial, type NsmConnection } from '../../src/api/client.js';
import { monitorConnectionClient } from '../../src/api/clients.js';
import { ConnectionEvent, ConnectionEventType, MonitorScopeSelector } from '../../src/api/gen/connection.js';
import { serve, type NsmServer } from '../../src/api/server.js';
import { withCancel } from '../../src/chain/cancel.js';
import { CallContext } from '../../src/chain/context.js';
import { Code, isStatusError, StatusError } from '../../src/chain/errors.js';
import type { MonitorHandler } from '../../src/chain/monitor.js';
import { aborted, deferred, leakTracker, Listen, noHang, transports } from './helpers/transports.js';

const bg = (): CallContext => CallContext.background();
const leaks = leakTracker();

/** One server-side stream: what the test pushes, and what the server saw. */
interface Feed {
  readonly events: ReplaySubject<ConnectionEvent>;
  readonly opened: Promise<{ selector: MonitorScopeSelector; ctx: CallContext }>;
  readonly tornDown: Promise<void>;
}

/** A MonitorHandler whose streams are fed by the test, one Feed per call, in order. */
function scriptedMonitor(): MonitorHandler & { next(): Feed; throwNext: Error | undefined } {
  const queue: {
    feed: Feed;
    open: (v: { selector: MonitorScopeSelector; ctx: CallContext }) => void;
    down: () => void;
  }[] = [];
  const handler = {
    throwNext: undefined as Error | undefined,
    next(): Feed {
      const opened = deferred<{ selector: MonitorScopeSelector; ctx: CallContext }>();
      const tornDown = deferred();
      const feed: Feed = {
        events: new ReplaySubject<ConnectionEvent>(),
        opened: opened.promise,
        tornDown: tornDown.promise,
      };
      queue.push({ feed, open: opened.resolve, down: tornDown.resolve });
      return feed;
    },
    monitorConnections(selector: MonitorScopeSelector, ctx: CallContext): Observable<ConnectionEvent> {
      if (handler.throwNext !== undefined) {
        const error = handler.throwNext;
        handler.throwNext = undefined;
        throw error;
      }
      const entry = queue.shift();
      if (entry === undefined) throw new Error('test did not prepare a feed');
      return new Observable<ConnectionEvent>((subscriber) => {
        entry.open({ selector, ctx });
        const inner = entry.feed.events.subscribe(subscriber);
        return () => {
          inner.unsubscribe();
          entry.down();
        };
      });
    },
  };
  return handler;
}

const event = (type: ConnectionEventType, ids: readonly string[]): ConnectionEvent =>
  ConnectionEvent.fromPartial({
    type,
    connections: Object.fromEntries(
      ids.map((id) => [
        id,
        {
          id,
          networkService: 'svc',
          labels: { id },
          path: {
            index: 0,
            pathSegments: [{ name: 'nse', id, token: 't', expires: { seconds: 10, nanos: 5 } }],
          },
        },
      ]),
    ),
  });

/** Subscribes and collects: events, how it ended, and a promise per event count. */
function collect(events$: Observable<ConnectionEvent>): {
  readonly received: ConnectionEvent[];
  readonly subscription: Subscription;
  readonly ended: Promise<{ kind: 'complete' } | { kind: 'error'; error: unknown }>;
  atLeast(count: number): Promise<void>;
} {
  const received: ConnectionEvent[] = [];
  const ended = deferred<{ kind: 'complete' } | { kind: 'error'; error: unknown }>();
  let waiters: { count: number; resolve: () => void }[] = [];
  const wake = (): void => {
    const ready = waiters.filter((w) => received.length >= w.count);
    waiters = waiters.filter((w) => received.length < w.count);
    for (const w of ready) w.resolve();
  };
  const subscription = events$.subscribe({
    next: (value) => {
      received.push(value);
      wake();
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
      return noHang(promise, `${count} events`);
    },
  };
}

for (const kind of transports) {
  const listen = new Listen(kind);
  const monitor = scriptedMonitor();
  let server: NsmServer | undefined;
  let conn: NsmConnection | undefined;
  let client: MonitorHandler;
  const selector = MonitorScopeSelector.fromPartial({
    networkServices: ['svc'],
    pathSegments: [{ name: 'nse' }],
  });

  const s = suite(`e2e ${kind}: MonitorConnections`);
  s.before(async () => {
    leaks.snapshot();
    server = await serve(listen.url(), { monitorConnection: monitor });
    conn = dial(server.url);
    client = monitorConnectionClient(conn);
  });
  s.after(async () => {
    conn?.close();
    await server?.close(100);
    listen.cleanup();
  });

  s('INITIAL_STATE_TRANSFER, then UPDATE and DELETE, in order, then completion', async () => {
    const feed = monitor.next();
    feed.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, ['a', 'b']));
    const c = collect(client.monitorConnections(selector, bg()));
    const { selector: seen } = await noHang(feed.opened, 'server stream opened');
    assert.equal(seen.networkServices, ['svc']);
    assert.is(seen.pathSegments[0]?.name, 'nse');
    await c.atLeast(1);
    feed.events.next(event(ConnectionEventType.UPDATE, ['a']));
    feed.events.next(event(ConnectionEventType.DELETE, ['b']));
    feed.events.complete();
    const end = await noHang(c.ended, 'client stream end');
    assert.equal(end, { kind: 'complete' });
    assert.equal(
      c.received.map((e) => [e.type, Object.keys(e.connections).sort()]),
      [
        [ConnectionEventType.INITIAL_STATE_TRANSFER, ['a', 'b']],
        [ConnectionEventType.UPDATE, ['a']],
        [ConnectionEventType.DELETE, ['b']],
      ],
    );
    const a = c.received[0]?.connections['a'];
    assert.is(a?.id, 'a');
    assert.is(a?.networkService, 'svc');
    assert.equal(a?.labels, { id: 'a' });
    assert.is(a?.path?.pathSegments[0]?.expires?.nanos, 5);
    await noHang(feed.tornDown, 'server teardown after completion');
  });

  s('an empty initial transfer arrives as an event with no connections', async () => {
    const feed = monitor.next();
    feed.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, []));
    feed.events.complete();
    const c = collect(client.monitorConnections(MonitorScopeSelector.fromPartial({}), bg()));
    assert.equal(await noHang(c.ended, 'end'), { kind: 'complete' });
    assert.is(c.received.length, 1);
    assert.is(c.received[0]?.type, ConnectionEventType.INITIAL_STATE_TRANSFER);
    assert.equal(c.received[0]?.connections, {});
  });

  s('unsubscribing on the client tears down the server stream and aborts its ctx', async () => {
    const feed = monitor.next();
    feed.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, ['a']));
    const c = collect(client.monitorConnections(selector, bg()));
    const { ctx } = await noHang(feed.opened, 'server stream opened');
    await c.atLeast(1);
    assert.not.ok(ctx.signal.aborted);
    c.subscription.unsubscribe();
    await noHang(feed.tornDown, 'server teardown');
    await noHang(aborted(ctx.signal), 'server ctx abort');
    assert.is(c.received.length, 1);
  });

  s('aborting the client ctx completes the client stream (no error) and ends the server stream', async () => {
    const feed = monitor.next();
    feed.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, ['a']));
    const scope = withCancel(bg());
    const c = collect(client.monitorConnections(selector, scope.ctx));
    const { ctx } = await noHang(feed.opened, 'server stream opened');
    await c.atLeast(1);
    scope.cancel();
    const end = await noHang(c.ended, 'client stream end');
    assert.equal(end, { kind: 'complete' });
    await noHang(feed.tornDown, 'server teardown');
    await noHang(aborted(ctx.signal), 'server ctx abort');
  });

  s('an already-aborted ctx completes at once', async () => {
    const scope = withCancel(bg());
    scope.cancel();
    const c = collect(client.monitorConnections(selector, scope.ctx));
    assert.equal(await noHang(c.ended, 'end'), { kind: 'complete' });
    assert.is(c.received.length, 0);
  });

  s(
    'a server stream error arrives as a StatusError with code and reason, after the earlier events',
    async () => {
      const feed = monitor.next();
      feed.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, ['a']));
      const c = collect(client.monitorConnections(selector, bg()));
      await c.atLeast(1);
      feed.events.error(
        new StatusError(Code.UNAVAILABLE, 'monitor: upstream gone', { reason: 'MONITOR_GONE' }),
      );
      const end = await noHang(c.ended, 'client stream end');
      assert.is(end.kind, 'error');
      const error = end.kind === 'error' ? end.error : undefined;
      assert.ok(isStatusError(error), String(error));
      assert.is(error.code, Code.UNAVAILABLE);
      assert.is(error.message, 'monitor: upstream gone');
      assert.is(error.reason, 'MONITOR_GONE');
      assert.is(c.received.length, 1);
    },
  );

  s('a handler throwing synchronously arrives as a StatusError', async () => {
    monitor.throwNext = new StatusError(Code.PERMISSION_DENIED, 'monitor: denied', {
      reason: 'MONITOR_DENIED',
    });
    const c = collect(client.monitorConnections(selector, bg()));
    const end = await noHang(c.ended, 'client stream end');
    assert.is(end.kind, 'error');
    const error = end.kind === 'error' ? end.error : undefined;
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.PERMISSION_DENIED);
    assert.is(error.reason, 'MONITOR_DENIED');
  });

  s('a plain Error from the server stream arrives as INTERNAL', async () => {
    const feed = monitor.next();
    feed.events.error(new Error('kaput'));
    const c = collect(client.monitorConnections(selector, bg()));
    const end = await noHang(c.ended, 'client stream end');
    const error = end.kind === 'error' ? end.error : undefined;
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.INTERNAL);
  });

  s('two concurrent subscriptions are two independent streams', async () => {
    const f1 = monitor.next();
    const f2 = monitor.next();
    f1.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, ['one']));
    const c1 = collect(client.monitorConnections(selector, bg()));
    await c1.atLeast(1);
    f2.events.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, ['two']));
    const c2 = collect(client.monitorConnections(selector, bg()));
    await c2.atLeast(1);
    c1.subscription.unsubscribe();
    await noHang(f1.tornDown, 'first stream teardown');
    f2.events.next(event(ConnectionEventType.UPDATE, ['two']));
    await c2.atLeast(2);
    f2.events.complete();
    assert.equal(await noHang(c2.ended, 'second stream end'), { kind: 'complete' });
    assert.equal(Object.keys(c1.received[0]?.connections ?? {}), ['one']);
    assert.equal(
      c2.received.map((e) => e.type),
      [ConnectionEventType.INITIAL_STATE_TRANSFER, ConnectionEventType.UPDATE],
    );
  });

  s.run();

  const early = suite(`e2e ${kind}: MonitorConnections cancelled as soon as opened`);
  early('a stream unsubscribed in the turn it was opened does not stay open on the server', async () => {
    let open = 0;
    let opened = 0;
    const counting: MonitorHandler = {
      monitorConnections: () =>
        new Observable<ConnectionEvent>((subscriber) => {
          open++;
          opened++;
          subscriber.next(event(ConnectionEventType.INITIAL_STATE_TRANSFER, []));
          return () => open--;
        }),
    };
    const earlyListen = new Listen(kind);
    const earlyServer = await serve(earlyListen.url(), { monitorConnection: counting });
    const earlyConn = dial(earlyServer.url);
    try {
      const earlyClient = monitorConnectionClient(earlyConn);
      // A first stream connects the channel, so later calls skip name resolution (where grpc-js lost cancels).
      const warm = earlyClient.monitorConnections(selector, bg()).subscribe({ error: () => undefined });
      await noHang(
        new Promise<void>((resolve) => {
          const poll = (): unknown => (opened === 1 ? resolve() : setTimeout(poll, 5));
          poll();
        }),
        'first stream opened',
      );
      warm.unsubscribe();
      for (let i = 0; i < 20; i++) {
        earlyClient
          .monitorConnections(selector, bg())
          .subscribe({ error: () => undefined })
          .unsubscribe();
      }
      await noHang(
        new Promise<void>((resolve) => {
          const poll = (): unknown => (open === 0 ? resolve() : setTimeout(poll, 5));
          poll();
        }),
        'every server stream ended',
        3000,
      );
    } finally {
      earlyConn.close();
      await earlyServer.close(0);
      earlyListen.cleanup();
    }
  });
  early.run();
}

const leakCheck = suite('e2e monitor: leaks');
leakCheck('no servers, sockets or timers left behind', () => leaks.check());
leakCheck.run();
