import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, State } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withCancel } from '../../chain/cancel.js';
import { clockOf, withClock } from '../../chain/clock.js';
import { CallContext, contextKey } from '../../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { count, manualClock } from '../../testing/index.js';
import { beginClient, beginServer, eventFactoryOf, type EventFactory } from './index.js';

const bg = (): CallContext => CallContext.background();
const req = (id: string, extra: Partial<Connection> = {}): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { ...extra, id } });

/** Captures the event factory and every context it sees; calls next. */
function capture(): NetworkServiceElement & {
  factory(): EventFactory;
  readonly contexts: CallContext[];
} {
  let factory: EventFactory | undefined;
  const contexts: CallContext[] = [];
  return {
    name: 'capture',
    contexts,
    factory() {
      if (factory === undefined) throw new Error('no event factory captured');
      return factory;
    },
    request(request, ctx, next) {
      factory = eventFactoryOf(ctx) ?? factory;
      contexts.push(ctx);
      return next.request(request, ctx);
    },
    close(connection, ctx, next) {
      contexts.push(ctx);
      return next.close(connection, ctx);
    },
  };
}

/** Answers each Request with `payload = v<n>` and records what it was asked. */
function versioned(): NetworkServiceElement & {
  readonly requests: NetworkServiceRequest[];
  readonly closes: Connection[];
} {
  let n = 0;
  const requests: NetworkServiceRequest[] = [];
  const closes: Connection[] = [];
  return {
    name: 'versioned',
    requests,
    closes,
    request(request) {
      requests.push(structuredClone(request));
      return Promise.resolve({ ...(request.connection ?? Connection.create()), payload: `v${++n}` });
    },
    close(connection) {
      closes.push(structuredClone(connection));
      return Promise.resolve();
    },
  };
}

/** Fails the next Request or Close while `fail` is true. */
function switchable(): NetworkServiceElement & { fail: boolean } {
  const element = {
    name: 'switchable',
    fail: false,
    request(
      request: NetworkServiceRequest,
      ctx: CallContext,
      next: Parameters<NonNullable<NetworkServiceElement['request']>>[2],
    ) {
      if (element.fail) return Promise.reject(new Error('switched to fail'));
      return next.request(request, ctx);
    },
    close(
      connection: Connection,
      ctx: CallContext,
      next: Parameters<NonNullable<NetworkServiceElement['close']>>[2],
    ) {
      if (element.fail) return Promise.reject(new Error('switched to fail'));
      return next.close(connection, ctx);
    },
  };
  return element;
}

for (const [side, makeBegin] of [
  ['server', beginServer],
  ['client', beginClient],
] as const) {
  const events = suite(`begin ${side}: event factory`);

  events('no event factory outside begin; one after begin', async () => {
    const cap = capture();
    await networkServiceHandler([cap]).request(req('1'), bg());
    assert.throws(() => cap.factory());
    const cap2 = capture();
    await networkServiceHandler([makeBegin(), cap2]).request(req('1'), bg());
    assert.ok(cap2.factory());
  });

  events(
    'request() re-runs the element after begin with the stored request and updates the stored connection',
    async () => {
      const cap = capture();
      const end = versioned();
      const handler = networkServiceHandler([makeBegin(), cap, end]);
      const conn = await handler.request(req('1', { networkService: 'ns' }), bg());
      assert.is(conn.payload, 'v1');
      const outcome = await cap.factory().request();
      assert.equal(outcome, { status: 'done' });
      assert.is(end.requests.length, 2);
      // The event request is the stored one: the returned connection in place of the requested one.
      assert.is(end.requests[1]?.connection?.payload, 'v1');
      assert.is(end.requests[1]?.connection?.networkService, 'ns');
      await handler.close(conn, bg());
      assert.equal(
        end.closes.map((c) => c.payload),
        ['v2'],
      );
    },
  );

  events('close() closes the stored connection and frees the entry', async () => {
    const begin = makeBegin();
    const cap = capture();
    const end = versioned();
    const handler = networkServiceHandler([begin, cap, end]);
    const conn = await handler.request(req('1'), bg());
    assert.is(begin.size, 1);
    assert.equal(await cap.factory().close(), { status: 'done' });
    assert.equal(
      end.closes.map((c) => c.payload),
      ['v1'],
    );
    assert.is(begin.size, 0);
    // A caller Close afterwards finds nothing to close.
    await handler.close(conn, bg());
    assert.is(end.closes.length, 1);
  });

  events('events on a closed connection are skipped', async () => {
    const counter = count();
    const cap = capture();
    const handler = networkServiceHandler([makeBegin(), cap, counter]);
    const conn = await handler.request(req('1'), bg());
    const factory = cap.factory();
    await handler.close(conn, bg());
    assert.equal(await factory.request(), { status: 'skipped' });
    assert.equal(await factory.close(), { status: 'skipped' });
    assert.is(counter.requests, 1);
    assert.is(counter.closes, 1);
  });

  events('an event with an already aborted cancelSignal is skipped', async () => {
    const begin = makeBegin();
    const counter = count();
    const cap = capture();
    const handler = networkServiceHandler([begin, cap, counter]);
    await handler.request(req('1'), bg());
    const signal = AbortSignal.abort(new Error('gone'));
    assert.equal(await cap.factory().request({ cancelSignal: signal }), { status: 'skipped' });
    assert.equal(await cap.factory().close({ cancelSignal: signal }), { status: 'skipped' });
    assert.is(counter.requests, 1);
    assert.is(counter.closes, 0);
    assert.is(begin.size, 1);
  });

  events('a signal aborted while the event waits for its turn skips it', async () => {
    const counter = count();
    const cap = capture();
    const handler = networkServiceHandler([makeBegin(), cap, counter]);
    await handler.request(req('1'), bg());
    const controller = new AbortController();
    const first = cap.factory().request();
    const second = cap.factory().request({ cancelSignal: controller.signal });
    controller.abort();
    assert.equal(await first, { status: 'done' });
    assert.equal(await second, { status: 'skipped' });
    assert.is(counter.requests, 2);
  });

  events('a failing event resolves { status: failed } and never rejects', async () => {
    const begin = makeBegin();
    const cap = capture();
    const sw = switchable();
    const handler = networkServiceHandler([begin, cap, sw]);
    await handler.request(req('1'), bg());
    sw.fail = true;
    const requested = await cap.factory().request();
    assert.is(requested.status, 'failed');
    if (requested.status === 'failed') assert.is((requested.error as Error).message, 'switched to fail');
    // A failed event request keeps the connection.
    assert.is(begin.size, 1);
    const closed = await cap.factory().close();
    assert.is(closed.status, 'failed');
    // A failed event Close still forgets the connection.
    assert.is(begin.size, 0);
  });

  events(
    'event ctx: same timeout length as the original Request ctx, fresh signal, cancelled afterwards',
    async () => {
      const clock = manualClock();
      const cap = capture();
      const handler = networkServiceHandler([makeBegin(), cap]);
      const original = withCancel(withClock(bg(), clock), 3000, clock);
      await handler.request(req('1'), original.ctx);
      original.cancel();
      clock.advance(10_000);

      assert.equal(await cap.factory().request(), { status: 'done' });
      const eventCtx = cap.contexts[1];
      assert.ok(eventCtx);
      if (eventCtx === undefined) return;
      assert.is(eventCtx.deadline, clock.now() + 3000);
      assert.is(clockOf(eventCtx), clock);
      // The event has finished: its scope is released.
      assert.is(eventCtx.signal.aborted, true);
      assert.is(eventFactoryOf(eventCtx), cap.factory());

      clock.advance(1234);
      assert.equal(await cap.factory().close(), { status: 'done' });
      const closeCtx = cap.contexts[2];
      assert.is(closeCtx?.deadline, clock.now() + 3000);
      assert.is(clock.pendingTimers, 0);
    },
  );

  events('event ctx: a live event sees a non-aborted signal that times out on the clock', async () => {
    const clock = manualClock();
    let during: { aborted: boolean; reason: unknown } | undefined;
    let eventSignal: AbortSignal | undefined;
    let resolveHold: (() => void) | undefined;
    let calls = 0;
    const hold: NetworkServiceElement = {
      name: 'hold',
      request(request, ctx, next) {
        if (++calls === 1) return next.request(request, ctx);
        eventSignal = ctx.signal;
        return new Promise((resolve, reject) => {
          resolveHold = () => {
            during = { aborted: ctx.signal.aborted, reason: ctx.signal.reason };
            next.request(request, ctx).then(resolve, reject);
          };
        });
      },
    };
    const cap = capture();
    const handler = networkServiceHandler([makeBegin(), cap, hold]);
    const original = withCancel(withClock(bg(), clock), 500, clock);
    await handler.request(req('1'), original.ctx);
    original.cancel();
    const pending = cap.factory().request();
    await new Promise((r) => setImmediate(r));
    assert.ok(eventSignal);
    assert.is(eventSignal?.aborted, false);
    clock.advance(500);
    assert.is(eventSignal?.aborted, true);
    assert.is((eventSignal?.reason as DOMException).name, 'TimeoutError');
    resolveHold?.();
    await pending;
    assert.is(during?.aborted, true);
  });

  events('no deadline on the original ctx gives events without deadline', async () => {
    const clock = manualClock();
    const cap = capture();
    const handler = networkServiceHandler([makeBegin(), cap]);
    await handler.request(req('1'), withClock(bg(), clock));
    await cap.factory().request();
    assert.is(cap.contexts[1]?.deadline, undefined);
    assert.is(clock.pendingTimers, 0);
  });

  events('event ctx carries the values of the last successful call', async () => {
    const key = contextKey<string>('test/value');
    const cap = capture();
    const sw = switchable();
    const handler = networkServiceHandler([makeBegin(), cap, sw]);
    const conn = await handler.request(req('1'), bg().with(key, 'value_1'));
    await cap.factory().request();
    assert.is(cap.contexts.at(-1)?.value(key), 'value_1');

    await handler.request(req('1', conn), bg().with(key, 'value_2'));
    await cap.factory().request();
    assert.is(cap.contexts.at(-1)?.value(key), 'value_2');

    sw.fail = true;
    try {
      await handler.request(req('1', conn), bg().with(key, 'value_3'));
      assert.unreachable();
    } catch {
      // expected
    }
    sw.fail = false;
    await cap.factory().request();
    assert.is(cap.contexts.at(-1)?.value(key), 'value_2');
    await cap.factory().close();
    assert.is(cap.contexts.at(-1)?.value(key), 'value_2');
  });

  events('events queue behind caller calls of the same id (FIFO with them)', async () => {
    const log: string[] = [];
    let release: (() => void) | undefined;
    let n = 0;
    const slow: NetworkServiceElement = {
      name: 'slow',
      request(request) {
        const i = ++n;
        log.push(`start ${i}`);
        return new Promise((resolve) => {
          const finish = (): void => {
            log.push(`end ${i}`);
            resolve(request.connection ?? Connection.create());
          };
          if (i === 2) release = finish;
          else finish();
        });
      },
    };
    const cap = capture();
    const handler = networkServiceHandler([makeBegin(), cap, slow]);
    await handler.request(req('1'), bg());
    const caller = handler.request(req('1'), bg());
    const event = cap.factory().request();
    await new Promise((r) => setImmediate(r));
    assert.equal(log, ['start 1', 'end 1', 'start 2']);
    release?.();
    await caller;
    assert.equal(await event, { status: 'done' });
    assert.equal(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  events.run();
}

// ---------------------------------------------------------------------------------------------------------
const stateSuite = suite('begin: state stored by event requests');

stateSuite(
  'client event request stores the connection with state UP; server stores it as returned',
  async () => {
    for (const [makeBegin, expected] of [
      [beginClient, State.UP],
      [beginServer, State.DOWN],
    ] as const) {
      let calls = 0;
      const closes: Connection[] = [];
      const down: NetworkServiceElement = {
        name: 'down',
        request: (request) =>
          Promise.resolve({
            ...(request.connection ?? Connection.create()),
            state: ++calls > 1 ? State.DOWN : State.UP,
          }),
        close(connection) {
          closes.push(connection);
          return Promise.resolve();
        },
      };
      const cap = capture();
      const handler = networkServiceHandler([makeBegin(), cap, down]);
      const conn = await handler.request(req('1'), bg());
      await cap.factory().request();
      await handler.close(conn, bg());
      assert.is(closes[0]?.state, expected);
    }
  },
);

stateSuite.run();
