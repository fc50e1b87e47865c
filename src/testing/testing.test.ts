import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../api/gen/connection.js';
import { NetworkServiceRequest } from '../api/gen/networkservice.js';
import { CallContext, contextKey } from '../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../chain/network-service.js';
import {
  checkContext,
  checkRequest,
  checkResponse,
  count,
  injectError,
  manualClock,
  withContext,
} from './index.js';

const bg = (): CallContext => CallContext.background();
const req = (id: string): NetworkServiceRequest => NetworkServiceRequest.fromPartial({ connection: { id } });
const conn = (id: string): Connection => Connection.fromPartial({ id });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
const clock = suite('manualClock: timers');

clock('starts at the given time (default 2026-01-01Z) and only moves on advance/set', () => {
  assert.is(manualClock().now(), Date.UTC(2026, 0, 1));
  const c = manualClock(1000);
  assert.is(c.now(), 1000);
  c.advance(250);
  assert.is(c.now(), 1250);
  c.set(5000);
  assert.is(c.now(), 5000);
  c.set(10);
  assert.is(c.now(), 5000, 'never moves backwards');
});

clock('fires timers in due order, each seeing now() at its own due time', () => {
  const c = manualClock(0);
  const fired: string[] = [];
  c.setTimeout(() => fired.push(`c@${c.now()}`), 30);
  c.setTimeout(() => fired.push(`a@${c.now()}`), 10);
  c.setTimeout(() => fired.push(`b@${c.now()}`), 20);
  c.setTimeout(() => fired.push(`a2@${c.now()}`), 10);
  assert.is(c.pendingTimers, 4);
  c.advance(15);
  assert.equal(fired, ['a@10', 'a2@10']);
  assert.is(c.now(), 15);
  c.advance(100);
  assert.equal(fired, ['a@10', 'a2@10', 'b@20', 'c@30']);
  assert.is(c.now(), 115);
  assert.is(c.pendingTimers, 0);
});

clock('a timer scheduled by a firing timer fires in the same advance when due', () => {
  const c = manualClock(0);
  const fired: number[] = [];
  c.setTimeout(() => {
    fired.push(c.now());
    c.setTimeout(() => fired.push(c.now()), 5);
  }, 10);
  c.advance(20);
  assert.equal(fired, [10, 15]);
});

clock('zero and negative delays fire on the next advance, not synchronously', () => {
  const c = manualClock(0);
  let fired = 0;
  c.setTimeout(() => fired++, 0);
  c.setTimeout(() => fired++, -5);
  assert.is(fired, 0);
  c.advance(0);
  assert.is(fired, 2);
});

clock('cancel prevents firing, is idempotent and updates pendingTimers', () => {
  const c = manualClock(0);
  let fired = 0;
  const t = c.setTimeout(() => fired++, 10);
  c.setTimeout(() => fired++, 20);
  t.cancel();
  t.cancel();
  assert.is(c.pendingTimers, 1);
  c.advance(100);
  assert.is(fired, 1);
});

clock('timeoutSignal aborts with a TimeoutError on advance', () => {
  const c = manualClock(0);
  const signal = c.timeoutSignal(100);
  assert.is(signal.aborted, false);
  c.advance(99);
  assert.is(signal.aborted, false);
  c.advance(1);
  assert.is(signal.aborted, true);
  assert.instance(signal.reason, DOMException);
  assert.is((signal.reason as DOMException).name, 'TimeoutError');
});

clock.run();

// ---------------------------------------------------------------------------------------------------------
const counting = suite('testing: count');

counting('counts requests, closes and distinct request ids; reset clears', async () => {
  const counter = count();
  const handler = networkServiceHandler([counter]);
  await handler.request(req('a'), bg());
  await handler.request(req('a'), bg());
  await handler.request(req('b'), bg());
  await handler.close(conn('a'), bg());
  assert.is(counter.requests, 3);
  assert.is(counter.uniqueRequests, 2);
  assert.is(counter.closes, 1);
  counter.reset();
  assert.is(counter.requests, 0);
  assert.is(counter.closes, 0);
  assert.is(counter.uniqueRequests, 0);
});

counting('counts calls that fail further down', async () => {
  const counter = count();
  const handler = networkServiceHandler([counter, injectError()]);
  await rejection(handler.request(req('a'), bg()));
  assert.is(counter.requests, 1);
});

counting.run();

// ---------------------------------------------------------------------------------------------------------
const inject = suite('testing: injectError');

inject('by default fails every Request with a generic error and no Close', async () => {
  const after = count();
  const handler = networkServiceHandler([injectError(), after]);
  const error = await rejection(handler.request(req('a'), bg()));
  assert.instance(error, Error);
  assert.is((error as Error).message, 'injected error');
  await rejection(handler.request(req('a'), bg()));
  await handler.close(conn('a'), bg());
  assert.is(after.requests, 0);
  assert.is(after.closes, 1);
});

inject('fails only the listed (1-based) calls with the given error', async () => {
  const boom = new Error('boom');
  const after = count();
  const handler = networkServiceHandler([
    injectError({ error: boom, requestCalls: [2, 3], closeCalls: [1] }),
    after,
  ]);
  await handler.request(req('a'), bg());
  assert.is(await rejection(handler.request(req('a'), bg())), boom);
  assert.is(await rejection(handler.request(req('a'), bg())), boom);
  await handler.request(req('a'), bg());
  assert.is(await rejection(handler.close(conn('a'), bg())), boom);
  await handler.close(conn('a'), bg());
  assert.is(after.requests, 2);
  assert.is(after.closes, 1);
});

inject('an empty requestCalls list never fails', async () => {
  const handler = networkServiceHandler([injectError({ requestCalls: [] })]);
  const r = req('a');
  assert.is(await handler.request(r, bg()), r.connection);
});

inject.run();

// ---------------------------------------------------------------------------------------------------------
const checks = suite('testing: checkRequest, checkResponse, checkContext, withContext');

checks('checkRequest sees the request before next', async () => {
  const log: string[] = [];
  const after: NetworkServiceElement = {
    name: 'after',
    request(request) {
      log.push('next');
      return Promise.resolve(request.connection ?? Connection.create());
    },
  };
  const handler = networkServiceHandler([
    checkRequest((request) => log.push(`check ${request.connection?.id}`)),
    after,
  ]);
  await handler.request(req('ok'), bg());
  assert.equal(log, ['check ok', 'next']);
});

checks(
  'a throwing checkRequest rejects the returned promise (no synchronous throw); next is not called',
  async () => {
    const after = count();
    const handler = networkServiceHandler([
      checkRequest(() => {
        throw new Error('bad request');
      }),
      after,
    ]);
    let promise: Promise<unknown> | undefined;
    try {
      promise = handler.request(req('bad'), bg());
    } catch (error) {
      assert.unreachable(`request() threw synchronously instead of rejecting: ${String(error)}`);
    }
    if (promise !== undefined) {
      const error = await rejection(promise);
      assert.is((error as Error).message, 'bad request');
    }
    assert.is(after.requests, 0);
  },
);

checks('checkResponse sees the response after next; a throwing check fails the call', async () => {
  const log: string[] = [];
  const after: NetworkServiceElement = {
    name: 'after',
    request(request) {
      log.push('next');
      return Promise.resolve({ ...(request.connection ?? Connection.create()), payload: 'ETHERNET' });
    },
  };
  const handler = networkServiceHandler([
    checkResponse((connection) => {
      log.push(`check ${connection.payload}`);
      if (connection.id === 'bad') throw new Error('bad response');
    }),
    after,
  ]);
  const got = await handler.request(req('ok'), bg());
  assert.is(got.payload, 'ETHERNET');
  assert.equal(log, ['next', 'check ETHERNET']);
  const error = await rejection(handler.request(req('bad'), bg()));
  assert.is((error as Error).message, 'bad response');
});

checks('checkContext runs on Request and Close; withContext changes the ctx for the rest', async () => {
  const key = contextKey<string>('test/key');
  const seen: (string | undefined)[] = [];
  const handler = networkServiceHandler([
    checkContext((ctx) => seen.push(ctx.value(key))),
    withContext((ctx) => ctx.with(key, 'set')),
    checkContext((ctx) => seen.push(ctx.value(key))),
  ]);
  await handler.request(req('a'), bg());
  await handler.close(conn('a'), bg());
  assert.equal(seen, [undefined, 'set', undefined, 'set']);
});

checks('a throwing checkContext rejects the returned promise (no synchronous throw)', async () => {
  const failing = networkServiceHandler([
    checkContext(() => {
      throw new Error('ctx check');
    }),
  ]);
  for (const call of [() => failing.request(req('a'), bg()), () => failing.close(conn('a'), bg())]) {
    let promise: Promise<unknown> | undefined;
    try {
      promise = call();
    } catch (error) {
      assert.unreachable(`threw synchronously instead of rejecting: ${String(error)}`);
    }
    if (promise !== undefined) assert.is(((await rejection(promise)) as Error).message, 'ctx check');
  }
});

checks.run();
