import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { clockOf, withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { count, injectError, manualClock, type ManualClock } from '../../testing/index.js';
import { beginClient } from '../begin/index.js';
import { metadata } from '../metadata/index.js';
import { refreshClient } from './index.js';

const second = 1000;
const minute = 60 * second;
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
const req = (id: string): NetworkServiceRequest => NetworkServiceRequest.fromPartial({ connection: { id } });

/**
 * Stand-in for the path and token elements: answers with a path whose segments expire after `lifetimesMs`
 * (undefined: no expires) from now on the context clock, `index` pointing at this client's segment.
 */
function tokens(lifetimesMs: readonly (number | undefined)[], index = 0): NetworkServiceElement {
  return {
    name: 'tokens',
    request: async (request, ctx) => {
      const now = clockOf(ctx).now();
      return Connection.fromPartial({
        ...request.connection,
        path: {
          index,
          pathSegments: lifetimesMs.map((ms, i) => ({
            name: `hop-${i}`,
            id: `id-${i}`,
            ...(ms === undefined ? {} : { expires: timestampFromMs(now + ms) }),
          })),
        },
      });
    },
  };
}

interface Setup {
  readonly clock: ManualClock;
  readonly counter: ReturnType<typeof count>;
  readonly handler: ReturnType<typeof networkServiceHandler>;
  ctx(): CallContext;
  /** Advances the clock and lets the events it started run. */
  advance(ms: number): Promise<void>;
}

function setup(
  options: {
    lifetimesMs?: readonly (number | undefined)[];
    index?: number;
    chainSignal?: AbortSignal;
    inject?: NetworkServiceElement;
  } = {},
): Setup {
  const clock = manualClock();
  const counter = count();
  const handler = networkServiceHandler([
    beginClient(),
    metadata(),
    refreshClient(options.chainSignal === undefined ? {} : { chainSignal: options.chainSignal }),
    counter,
    ...(options.inject === undefined ? [] : [options.inject]),
    tokens(options.lifetimesMs ?? [15 * minute, 15 * minute], options.index),
  ]);
  return {
    clock,
    counter,
    handler,
    ctx: () => withClock(CallContext.background(), clock),
    advance: async (ms) => {
      clock.advance(ms);
      await flush();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
const schedule = suite('refresh: when it refreshes');

schedule(
  '15-minute tokens on a two-hop path refresh after 3 minutes, and again 3 minutes later',
  async () => {
    const s = setup();
    await s.handler.request(req('1'), s.ctx());
    await s.advance(179 * second);
    assert.is(s.counter.requests, 1, 'not before 3 minutes');
    await s.advance(1 * second + 1);
    assert.is(s.counter.requests, 2, 'refreshed at 3 minutes');
    await s.advance(179 * second);
    assert.is(s.counter.requests, 2);
    await s.advance(1 * second);
    assert.is(s.counter.requests, 3, 'the successful refresh scheduled the next one');
    assert.is(s.clock.pendingTimers, 1);
  },
);

schedule('a single segment refreshes at a third of its lifetime', async () => {
  const s = setup({ lifetimesMs: [15 * minute] });
  await s.handler.request(req('1'), s.ctx());
  await s.advance(5 * minute - 1);
  assert.is(s.counter.requests, 1);
  await s.advance(1);
  assert.is(s.counter.requests, 2);
});

schedule('the shortest token counts; outer hops (higher index) refresh a little later', async () => {
  // [1h, 3min] seen at index 1: 0.2 + 0.2·1/2 = 0.3 of 3 minutes = 54 s.
  const a = setup({ lifetimesMs: [60 * minute, 3 * minute], index: 1 });
  await a.handler.request(req('1'), a.ctx());
  await a.advance(54 * second - 1);
  assert.is(a.counter.requests, 1);
  await a.advance(1);
  assert.is(a.counter.requests, 2);
  // [1h, 5s, 3min] seen at index 2: 0.2 + 0.2·2/3 = 1/3 of 5 s.
  const b = setup({ lifetimesMs: [60 * minute, 5 * second, 3 * minute], index: 2 });
  await b.handler.request(req('1'), b.ctx());
  await b.advance(1666);
  assert.is(b.counter.requests, 1);
  await b.advance(1);
  assert.is(b.counter.requests, 2);
});

schedule(
  'an expired token, a segment without expires, or no path at all refresh after 1 ms (as NSM)',
  async () => {
    for (const lifetimesMs of [[-1000, 15 * minute], [undefined, 15 * minute], []]) {
      const s = setup({ lifetimesMs });
      await s.handler.request(req('1'), s.ctx());
      await s.advance(0);
      assert.is(s.counter.requests, 1);
      await s.advance(1);
      assert.is(s.counter.requests, 2);
    }
  },
);

schedule('a new Request restarts the schedule from its own response', async () => {
  const s = setup();
  const connection = await s.handler.request(req('1'), s.ctx());
  await s.advance(100 * second);
  await s.handler.request(NetworkServiceRequest.fromPartial({ connection }), s.ctx());
  assert.is(s.clock.pendingTimers, 1, 'replaced, not added');
  await s.advance(80 * second + 1);
  assert.is(s.counter.requests, 2, 'the first schedule no longer applies');
  await s.advance(100 * second);
  assert.is(s.counter.requests, 3);
});

schedule('the refresh re-sends the stored request with the last returned connection', async () => {
  const seen: NetworkServiceRequest[] = [];
  const s = setup({
    inject: {
      name: 'spy',
      request: (request, ctx, next) => (seen.push(request), next.request(request, ctx)),
    },
  });
  const connection = await s.handler.request(req('1'), s.ctx());
  await s.advance(3 * minute);
  assert.is(seen.length, 2);
  assert.equal(seen[1]?.connection?.path, connection.path);
});

schedule.run();

// ---------------------------------------------------------------------------------------------------------
const lifecycle = suite('refresh: failures, Close and chain end');

lifecycle('a failed refresh is tried again every 200 ms until it succeeds', async () => {
  const s = setup({ inject: injectError({ requestCalls: [2, 3] }) });
  await s.handler.request(req('1'), s.ctx());
  await s.advance(3 * minute);
  assert.is(s.counter.requests, 2);
  await s.advance(199);
  assert.is(s.counter.requests, 2);
  await s.advance(1);
  assert.is(s.counter.requests, 3);
  await s.advance(200);
  assert.is(s.counter.requests, 4, 'succeeded');
  await s.advance(200);
  assert.is(s.counter.requests, 4, 'no retry after success');
  await s.advance(3 * minute);
  assert.is(s.counter.requests, 5, 'the regular schedule goes on');
});

lifecycle('Close stops the refresh, also while it is retrying', async () => {
  const s = setup();
  const connection = await s.handler.request(req('1'), s.ctx());
  await s.handler.close(connection, s.ctx());
  assert.is(s.clock.pendingTimers, 0);
  await s.advance(60 * minute);
  assert.is(s.counter.requests, 1);

  const r = setup({ inject: injectError({ requestCalls: [2, 3, 4, 5, 6, 7, 8, 9] }) });
  const c2 = await r.handler.request(req('1'), r.ctx());
  await r.advance(3 * minute);
  await r.advance(200);
  await r.advance(200);
  assert.is(r.counter.requests, 4, 'retrying');
  assert.is(r.clock.pendingTimers, 1);
  await r.handler.close(c2, r.ctx());
  assert.is(r.clock.pendingTimers, 0);
  await r.advance(60 * minute);
  assert.is(r.counter.requests, 4);
});

lifecycle('a failed first Request schedules nothing', async () => {
  const s = setup({ inject: injectError() });
  try {
    await s.handler.request(req('1'), s.ctx());
    assert.unreachable('should fail');
  } catch (error) {
    assert.is((error as Error).message, 'injected error');
  }
  assert.is(s.clock.pendingTimers, 0);
});

lifecycle('chainSignal abort stops every refresh', async () => {
  const chain = new AbortController();
  const s = setup({ chainSignal: chain.signal });
  await s.handler.request(req('1'), s.ctx());
  await s.handler.request(req('2'), s.ctx());
  assert.is(s.clock.pendingTimers, 2);
  chain.abort();
  assert.is(s.clock.pendingTimers, 0);
  await s.handler.request(req('3'), s.ctx());
  assert.is(s.clock.pendingTimers, 0, 'nothing is scheduled after the chain ended');
  await s.advance(60 * minute);
  assert.is(s.counter.requests, 3);
});

lifecycle('without begin: INTERNAL REFRESH_NO_BEGIN before anything runs', async () => {
  const counter = count();
  const handler = networkServiceHandler([metadata(), refreshClient(), counter]);
  try {
    await handler.request(req('1'), CallContext.background());
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INTERNAL);
    assert.is(error.reason, 'REFRESH_NO_BEGIN');
  }
  assert.is(counter.requests, 0);
});

lifecycle.run();
