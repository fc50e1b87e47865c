import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceHandler } from '../../chain/network-service.js';
import { checkContext, count, injectError, manualClock, type ManualClock } from '../../testing/index.js';
import { retryClient } from './index.js';

const req = (id: string): NetworkServiceRequest => NetworkServiceRequest.fromPartial({ connection: { id } });
const conn = (id: string): Connection => Connection.fromPartial({ id });
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Settles `promise` by advancing `clock` in `stepMs` steps (at most `maxSteps`), flushing between steps. */
async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs: number, maxSteps = 100): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  tracked.catch(() => undefined);
  for (let i = 0; i < maxSteps; i++) {
    await flush();
    if (settled) break;
    clock.advance(stepMs);
  }
  return tracked;
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

// ---------------------------------------------------------------------------------------------------------
const retries = suite('retry: retries until success');

retries('retries a failing Request every intervalMs and returns the first success', async () => {
  const clock = manualClock();
  const counter = count();
  const client = retryClient(
    networkServiceHandler([counter, injectError({ requestCalls: [1, 2, 3, 4, 5] })]),
    {
      intervalMs: 10,
    },
  );
  const connection = await drive(
    clock,
    client.request(req('1'), withClock(CallContext.background(), clock)),
    10,
  );
  assert.is(connection.id, '1');
  assert.is(counter.requests, 6);
  assert.is(counter.closes, 0);
  assert.is(clock.pendingTimers, 0);
});

retries('retries a failing Close the same way', async () => {
  const clock = manualClock();
  const counter = count();
  const client = retryClient(
    networkServiceHandler([counter, injectError({ requestCalls: [], closeCalls: [1, 2, 3, 4, 5] })]),
    { intervalMs: 10 },
  );
  await drive(clock, client.close(conn('1'), withClock(CallContext.background(), clock)), 10);
  assert.is(counter.closes, 6);
  assert.is(counter.requests, 0);
  assert.is(clock.pendingTimers, 0);
});

retries('waits intervalMs on the context clock between attempts', async () => {
  const clock = manualClock();
  const counter = count();
  const client = retryClient(networkServiceHandler([counter, injectError({ requestCalls: [1] })]), {
    intervalMs: 1000,
  });
  const pending = client.request(req('1'), withClock(CallContext.background(), clock));
  await flush();
  assert.is(counter.requests, 1);
  clock.advance(999);
  await flush();
  assert.is(counter.requests, 1);
  clock.advance(1);
  await pending;
  assert.is(counter.requests, 2);
});

retries('each attempt gets a copy of the input and its own tryTimeoutMs deadline', async () => {
  const clock = manualClock();
  const deadlines: (number | undefined)[] = [];
  const ids: string[] = [];
  const mutating: NetworkServiceHandler = {
    request: async (request, ctx) => {
      deadlines.push(ctx.deadline);
      const connection = request.connection ?? Connection.create();
      ids.push(connection.id);
      connection.id = 'changed';
      if (ids.length < 3) throw new Error('not yet');
      return connection;
    },
    close: async () => undefined,
  };
  const start = clock.now();
  const request = req('1');
  await drive(
    clock,
    retryClient(mutating, { tryTimeoutMs: 3_600_000, intervalMs: 100 }).request(
      request,
      withClock(CallContext.background(), clock),
    ),
    100,
  );
  assert.equal(ids, ['1', '1', '1']);
  assert.equal(deadlines, [start + 3_600_000, start + 100 + 3_600_000, start + 200 + 3_600_000]);
  assert.is(request.connection?.id, '1', 'the caller request is untouched');
});

retries('an attempt that hangs is abandoned after tryTimeoutMs and retried', async () => {
  const clock = manualClock();
  let attempts = 0;
  const hangsOnce: NetworkServiceHandler = {
    request: (request, ctx) => {
      attempts++;
      if (attempts > 1) return Promise.resolve(request.connection ?? Connection.create());
      return new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
      );
    },
    close: async () => undefined,
  };
  const client = retryClient(hangsOnce, { tryTimeoutMs: 500, intervalMs: 50 });
  await drive(clock, client.request(req('1'), withClock(CallContext.background(), clock)), 50);
  assert.is(attempts, 2);
  assert.is(clock.pendingTimers, 0);
});

retries.run();

// ---------------------------------------------------------------------------------------------------------
const aborts = suite('retry: the caller context ends');

aborts(
  'a caller abort while waiting between attempts throws the abort reason; no further attempt',
  async () => {
    const clock = manualClock();
    const counter = count();
    const client = retryClient(networkServiceHandler([counter, injectError()]), { intervalMs: 1000 });
    const scope = withCancel(withClock(CallContext.background(), clock));
    const pending = rejection(client.request(req('1'), scope.ctx));
    await flush();
    const reason = new DOMException('cancelled', 'AbortError');
    scope.cancel(reason);
    assert.is(await pending, reason);
    clock.advance(10_000);
    await flush();
    assert.is(counter.requests, 1);
    assert.is(clock.pendingTimers, 0);
  },
);

aborts('an abort during an attempt is thrown as is, not retried', async () => {
  const clock = manualClock();
  const scope = withCancel(withClock(CallContext.background(), clock));
  const reason = new DOMException('cancelled', 'AbortError');
  let attempts = 0;
  const client = retryClient(
    networkServiceHandler([
      checkContext(() => {
        attempts++;
        scope.cancel(reason);
        throw new Error('failed while the caller gave up');
      }),
    ]),
  );
  assert.is(await rejection(client.request(req('1'), scope.ctx)), reason);
  assert.is(attempts, 1);
});

aborts('the caller deadline ends the retries with DEADLINE_EXCEEDED carrying the last failure', async () => {
  const clock = manualClock();
  const counter = count();
  const scope = withCancel(withClock(CallContext.background(), clock), 1000);
  const lastFailure = new Error('endpoint refused');
  const client = retryClient(networkServiceHandler([counter, injectError({ error: lastFailure })]), {
    intervalMs: 200,
  });
  const error = await drive(clock, rejection(client.request(req('1'), scope.ctx)), 200);
  assert.ok(isStatusError(error));
  assert.is(error.code, Code.DEADLINE_EXCEEDED);
  assert.is(error.reason, 'RETRY_DEADLINE_EXCEEDED');
  assert.is(error.cause, lastFailure);
  assert.match(error.message, /endpoint refused/);
  assert.ok(counter.requests >= 5 && counter.requests <= 6);
  scope.cancel();
  assert.is(clock.pendingTimers, 0);
});

aborts('an already cancelled context makes no attempt', async () => {
  const counter = count();
  const scope = withCancel(CallContext.background());
  scope.cancel();
  await rejection(retryClient(networkServiceHandler([counter])).request(req('1'), scope.ctx));
  await rejection(retryClient(networkServiceHandler([counter])).close(conn('1'), scope.ctx));
  assert.is(counter.requests + counter.closes, 0);
});

aborts('bad options throw ConfigError', () => {
  const client = networkServiceHandler([]);
  const isConfig = (e: unknown): boolean => e instanceof ConfigError;
  assert.throws(() => retryClient(undefined as never), isConfig);
  assert.throws(() => retryClient(client, { tryTimeoutMs: 0 }), isConfig);
  assert.throws(() => retryClient(client, { tryTimeoutMs: Number.POSITIVE_INFINITY }), isConfig);
  assert.throws(() => retryClient(client, { intervalMs: -1 }), isConfig);
  retryClient(client, { intervalMs: 0 });
});

aborts.run();
