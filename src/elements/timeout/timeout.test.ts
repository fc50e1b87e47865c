import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { withCancel } from '../../chain/cancel.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { count, injectError, manualClock, type ManualClock } from '../../testing/index.js';
import { beginServer } from '../begin/index.js';
import { metadata } from '../metadata/index.js';
import { timeoutServer } from './index.js';

const minute = 60_000;
const tokenMs = 15 * minute;
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A request as the server sees it after updatepath/updatetoken: our segment at index 1, the caller's before. */
function req(id: string, expiresAt: number | undefined): NetworkServiceRequest {
  return NetworkServiceRequest.fromPartial({
    connection: {
      id,
      path: {
        index: 1,
        pathSegments: [
          {
            name: 'client',
            id: `${id}-client`,
            ...(expiresAt === undefined ? {} : { expires: timestampFromMs(expiresAt) }),
          },
          { name: 'server', id },
        ],
      },
    },
  });
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

interface Setup {
  readonly clock: ManualClock;
  readonly counter: ReturnType<typeof count>;
  readonly begin: ReturnType<typeof beginServer>;
  readonly handler: ReturnType<typeof networkServiceHandler>;
  ctx(): CallContext;
}

function setup(options: { chainSignal?: AbortSignal; after?: NetworkServiceElement[] } = {}): Setup {
  const clock = manualClock();
  const counter = count();
  const begin = beginServer();
  const handler = networkServiceHandler([
    begin,
    metadata(),
    timeoutServer(options.chainSignal === undefined ? {} : { chainSignal: options.chainSignal }),
    counter,
    ...(options.after ?? []),
  ]);
  return { clock, counter, begin, handler, ctx: () => withClock(CallContext.background(), clock) };
}

// ---------------------------------------------------------------------------------------------------------
const expiry = suite('timeout: expiry');

expiry(
  'closes the connection through the rest of the chain exactly once when the caller token expires',
  async () => {
    const s = setup();
    await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
    assert.is(s.clock.pendingTimers, 1);
    s.clock.advance(tokenMs - 1);
    await flush();
    assert.is(s.counter.closes, 0);
    s.clock.advance(1);
    await flush();
    assert.is(s.counter.closes, 1);
    s.clock.advance(tokenMs);
    await flush();
    assert.is(s.counter.closes, 1);
    assert.is(s.begin.size, 0);
    assert.is(s.clock.pendingTimers, 0);
  },
);

expiry('closes earlier by what was left of the Request deadline', async () => {
  const s = setup();
  const scope = withCancel(s.ctx(), 15_000);
  await s.handler.request(req('1', s.clock.now() + tokenMs), scope.ctx);
  scope.cancel();
  s.clock.advance(tokenMs - 15_000 - 1);
  await flush();
  assert.is(s.counter.closes, 0);
  s.clock.advance(1);
  await flush();
  assert.is(s.counter.closes, 1);
});

expiry('a refresh replaces the schedule with the new expiry', async () => {
  const s = setup();
  await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  s.clock.advance(10 * minute);
  await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  assert.is(s.clock.pendingTimers, 1, 'replaced, not added');
  s.clock.advance(5 * minute);
  await flush();
  assert.is(s.counter.closes, 0, 'the first expiry no longer applies');
  s.clock.advance(10 * minute);
  await flush();
  assert.is(s.counter.closes, 1);
  assert.is(s.counter.requests, 2);
  assert.is(s.clock.pendingTimers, 0);
});

expiry('an already expired token schedules an immediate Close', async () => {
  const s = setup();
  await s.handler.request(req('1', s.clock.now() - 1), s.ctx());
  s.clock.advance(0);
  await flush();
  assert.is(s.counter.closes, 1);
});

expiry('connections expire independently', async () => {
  const s = setup();
  await s.handler.request(req('1', s.clock.now() + minute), s.ctx());
  await s.handler.request(req('2', s.clock.now() + 2 * minute), s.ctx());
  s.clock.advance(minute);
  await flush();
  assert.is(s.counter.closes, 1);
  assert.is(s.begin.size, 1);
  s.clock.advance(minute);
  await flush();
  assert.is(s.counter.closes, 2);
  assert.is(s.begin.size, 0);
});

expiry.run();

// ---------------------------------------------------------------------------------------------------------
const closing = suite('timeout: Close and chain end');

closing('Close cancels the expiry', async () => {
  const s = setup();
  const connection = await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  await s.handler.close(connection, s.ctx());
  assert.is(s.counter.closes, 1);
  assert.is(s.clock.pendingTimers, 0);
  s.clock.advance(2 * tokenMs);
  await flush();
  assert.is(s.counter.closes, 1);
});

closing('a Close failing with an ordinary error cancels the expiry', async () => {
  const s = setup({ after: [injectError({ requestCalls: [], closeCalls: [1] })] });
  const connection = await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  await rejection(s.handler.close(connection, s.ctx()));
  assert.is(s.clock.pendingTimers, 0);
});

closing('a Close that timed out keeps the expiry, which fires later', async () => {
  const timedOut = new DOMException('deadline exceeded', 'TimeoutError');
  const s = setup({ after: [injectError({ error: timedOut, requestCalls: [], closeCalls: [1] })] });
  const connection = await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  assert.is(await rejection(s.handler.close(connection, s.ctx())), timedOut);
  assert.is(s.clock.pendingTimers, 1);
  s.clock.advance(tokenMs);
  await flush();
  assert.is(s.clock.pendingTimers, 0);
});

closing('chainSignal abort cancels every pending expiry', async () => {
  const chain = new AbortController();
  const s = setup({ chainSignal: chain.signal });
  await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  await s.handler.request(req('2', s.clock.now() + tokenMs), s.ctx());
  assert.is(s.clock.pendingTimers, 2);
  chain.abort();
  assert.is(s.clock.pendingTimers, 0);
  await s.handler.request(req('3', s.clock.now() + tokenMs), s.ctx());
  assert.is(s.clock.pendingTimers, 0, 'nothing is scheduled after the chain ended');
  s.clock.advance(2 * tokenMs);
  await flush();
  assert.is(s.counter.closes, 0);
});

closing.run();

// ---------------------------------------------------------------------------------------------------------
const failures = suite('timeout: failures');

failures('a failed first Request schedules nothing', async () => {
  const s = setup({ after: [injectError()] });
  await rejection(s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx()));
  assert.is(s.clock.pendingTimers, 0);
});

failures('a failed refresh keeps the previous expiry', async () => {
  const s = setup({ after: [injectError({ requestCalls: [2] })] });
  await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
  await rejection(s.handler.request(req('1', s.clock.now() + 2 * tokenMs), s.ctx()));
  assert.is(s.clock.pendingTimers, 1);
  s.clock.advance(tokenMs);
  await flush();
  assert.is(s.counter.closes, 1);
});

failures(
  'no expires on the previous segment: closes downstream, then INVALID_ARGUMENT TIMEOUT_NO_EXPIRY',
  async () => {
    const s = setup();
    const error = await rejection(s.handler.request(req('1', undefined), s.ctx()));
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INVALID_ARGUMENT);
    assert.is(error.reason, 'TIMEOUT_NO_EXPIRY');
    assert.ok(error.message.startsWith('timeout: '));
    assert.is(s.counter.closes, 1, 'nothing is left open downstream');
    assert.is(s.begin.size, 0);
    assert.is(s.clock.pendingTimers, 0);

    const noPrevious = NetworkServiceRequest.fromPartial({
      connection: { id: '2', path: { index: 0, pathSegments: [{ name: 'server', id: '2' }] } },
    });
    const error2 = await rejection(s.handler.request(noPrevious, s.ctx()));
    assert.ok(isStatusError(error2) && error2.reason === 'TIMEOUT_NO_EXPIRY');
  },
);

failures(
  'no expires on a refresh: the error, no downstream Close, and the previous expiry stays',
  async () => {
    const s = setup();
    await s.handler.request(req('1', s.clock.now() + tokenMs), s.ctx());
    const error = await rejection(s.handler.request(req('1', undefined), s.ctx()));
    assert.ok(isStatusError(error) && error.reason === 'TIMEOUT_NO_EXPIRY');
    assert.is(s.counter.closes, 0);
    s.clock.advance(tokenMs);
    await flush();
    assert.is(s.counter.closes, 1);
  },
);

failures('without begin: INTERNAL TIMEOUT_NO_BEGIN before anything runs', async () => {
  const counter = count();
  const handler = networkServiceHandler([metadata(), timeoutServer(), counter]);
  const error = await rejection(handler.request(req('1', Date.now() + tokenMs), CallContext.background()));
  assert.ok(isStatusError(error));
  assert.is(error.code, Code.INTERNAL);
  assert.is(error.reason, 'TIMEOUT_NO_BEGIN');
  assert.is(counter.requests, 0);
});

failures('the returned connection is what the rest of the chain returned', async () => {
  const s = setup();
  const request = req('1', s.clock.now() + tokenMs);
  const connection = await s.handler.request(request, s.ctx());
  assert.equal(connection, Connection.fromPartial({ ...request.connection }));
});

failures.run();
