import { abortListenerCount } from './on-abort.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { manualClock } from '../testing/index.js';
import { isAbortError, postpone, withCancel } from './cancel.js';
import { clockOf, delay, systemClock, withClock } from './clock.js';
import { CallContext, contextKey } from './context.js';
import { Code, ConfigError, invalidArgument, isStatusError, StatusError } from './errors.js';
import { SerialExecutor } from './serial-executor.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const keyA = contextKey<string>('a');
const keyB = contextKey<number>('b');

// ---------------------------------------------------------------------------------------------------------
const values = suite('CallContext: values');

values('background has no values, never aborts and has no deadline', () => {
  const ctx = CallContext.background();
  assert.is(ctx.value(keyA), undefined);
  assert.is(ctx.signal.aborted, false);
  assert.is(ctx.deadline, undefined);
  assert.is(ctx.remainingMs(0), undefined);
  ctx.throwIfAborted();
});

values('with() adds a value without changing the original; a later with() shadows', () => {
  const root = CallContext.background();
  const a1 = root.with(keyA, 'one');
  const a2 = a1.with(keyB, 2).with(keyA, 'two');
  assert.is(root.value(keyA), undefined);
  assert.is(a1.value(keyA), 'one');
  assert.is(a1.value(keyB), undefined);
  assert.is(a2.value(keyA), 'two');
  assert.is(a2.value(keyB), 2);
});

values('keys are compared by identity, not by name', () => {
  const same = contextKey<string>('a');
  const ctx = CallContext.background().with(keyA, 'x');
  assert.is(ctx.value(same), undefined);
});

values('of() takes signal and deadline; withSignal keeps values', () => {
  const controller = new AbortController();
  const ctx = CallContext.of({ signal: controller.signal, deadline: 1000 }).with(keyA, 'v');
  assert.is(ctx.deadline, 1000);
  assert.is(ctx.remainingMs(400), 600);
  assert.is(ctx.remainingMs(5000), 0);
  const other = new AbortController();
  const moved = ctx.withSignal(other.signal, 50);
  assert.is(moved.signal, other.signal);
  assert.is(moved.deadline, 50);
  assert.is(moved.value(keyA), 'v');
  controller.abort(new Error('x'));
  assert.throws(() => ctx.throwIfAborted(), /x/);
  assert.is(moved.signal.aborted, false);
});

values('withValuesOf keeps signal and deadline of this and values of the other', () => {
  const controller = new AbortController();
  const mine = CallContext.of({ signal: controller.signal, deadline: 77 }).with(keyA, 'mine');
  const other = CallContext.background().with(keyB, 5).with(keyA, 'theirs');
  const merged = mine.withValuesOf(other);
  assert.is(merged.signal, controller.signal);
  assert.is(merged.deadline, 77);
  assert.is(merged.value(keyA), 'theirs');
  assert.is(merged.value(keyB), 5);
  const noValues = mine.withValuesOf(CallContext.background());
  assert.is(noValues.value(keyA), undefined);
});

values.run();

// ---------------------------------------------------------------------------------------------------------
const cancel = suite('withCancel: cancellation and timeouts');

cancel('aborts when the parent aborts, with the parent reason', () => {
  const parent = new AbortController();
  const scope = withCancel(CallContext.of({ signal: parent.signal }).with(keyA, 'v'));
  assert.is(scope.ctx.signal.aborted, false);
  assert.is(scope.ctx.value(keyA), 'v');
  const reason = new Error('parent gone');
  parent.abort(reason);
  assert.is(scope.ctx.signal.aborted, true);
  assert.is(scope.ctx.signal.reason, reason);
  scope.cancel();
});

cancel('an already aborted parent gives an aborted child', () => {
  const parent = new AbortController();
  parent.abort(new Error('early'));
  const scope = withCancel(CallContext.of({ signal: parent.signal }), 10, manualClock());
  assert.is(scope.ctx.signal.aborted, true);
  assert.is((scope.ctx.signal.reason as Error).message, 'early');
  scope.cancel();
});

cancel('cancel() aborts with an AbortError, or the given reason', () => {
  const a = withCancel(CallContext.background());
  a.cancel();
  assert.is(a.ctx.signal.aborted, true);
  assert.ok(isAbortError(a.ctx.signal.reason));
  assert.is((a.ctx.signal.reason as DOMException).name, 'AbortError');
  const b = withCancel(CallContext.background());
  const reason = new Error('mine');
  b.cancel(reason);
  assert.is(b.ctx.signal.reason, reason);
  b.cancel(new Error('second'));
  assert.is(b.ctx.signal.reason, reason);
});

cancel('cancel removes the parent listener: aborting the parent later does not change the reason', () => {
  const parent = new AbortController();
  const scope = withCancel(CallContext.of({ signal: parent.signal }));
  assert.is(abortListenerCount(parent.signal), 1);
  const reason = new Error('cancelled first');
  scope.cancel(reason);
  assert.is(abortListenerCount(parent.signal), 0);
  let events = 0;
  scope.ctx.signal.addEventListener('abort', () => events++);
  parent.abort(new Error('parent later'));
  assert.is(scope.ctx.signal.reason, reason);
  assert.is(events, 0);
});

cancel('times out on the manual clock passed as argument, with a TimeoutError', () => {
  const clock = manualClock();
  const start = clock.now();
  const scope = withCancel(CallContext.background(), 1000, clock);
  assert.is(scope.ctx.deadline, start + 1000);
  assert.is(clock.pendingTimers, 1);
  clock.advance(999);
  assert.is(scope.ctx.signal.aborted, false);
  clock.advance(1);
  assert.is(scope.ctx.signal.aborted, true);
  assert.is((scope.ctx.signal.reason as DOMException).name, 'TimeoutError');
  assert.ok(isAbortError(scope.ctx.signal.reason));
  assert.is(clock.pendingTimers, 0);
  scope.cancel();
});

cancel('a timeout also removes the parent listener', () => {
  const clock = manualClock();
  const parent = new AbortController();
  const scope = withCancel(CallContext.of({ signal: parent.signal }), 10, clock);
  assert.is(abortListenerCount(parent.signal), 1);
  clock.advance(10);
  assert.is(abortListenerCount(parent.signal), 0);
  parent.abort(new Error('late'));
  assert.is((scope.ctx.signal.reason as DOMException).name, 'TimeoutError');
});

cancel('times out on the clock carried by the context (withClock)', () => {
  const clock = manualClock();
  const ctx = withClock(CallContext.background(), clock);
  assert.is(clockOf(ctx), clock);
  assert.is(clockOf(CallContext.background()), systemClock);
  const scope = withCancel(ctx, 500);
  assert.is(scope.ctx.deadline, clock.now() + 500);
  assert.is(clockOf(scope.ctx), clock);
  clock.advance(500);
  assert.is(scope.ctx.signal.aborted, true);
  assert.is((scope.ctx.signal.reason as DOMException).name, 'TimeoutError');
});

cancel('cancel frees the timer; the scope never fires afterwards', () => {
  const clock = manualClock();
  const scope = withCancel(CallContext.background(), 100, clock);
  const reason = new Error('done');
  scope.cancel(reason);
  assert.is(clock.pendingTimers, 0);
  clock.advance(1000);
  assert.is(scope.ctx.signal.reason, reason);
});

cancel('the parent abort also frees the timer', () => {
  const clock = manualClock();
  const parent = new AbortController();
  const scope = withCancel(CallContext.of({ signal: parent.signal }), 100, clock);
  parent.abort(new Error('p'));
  assert.is(clock.pendingTimers, 0);
  assert.is((scope.ctx.signal.reason as Error).message, 'p');
});

cancel('a child keeps the earlier parent deadline', () => {
  const clock = manualClock();
  const parent = withCancel(CallContext.background(), 100, clock);
  const child = withCancel(parent.ctx, 1000, clock);
  assert.is(child.ctx.deadline, clock.now() + 100);
  const shorter = withCancel(parent.ctx, 10, clock);
  assert.is(shorter.ctx.deadline, clock.now() + 10);
  clock.advance(100);
  assert.is(child.ctx.signal.aborted, true);
  child.cancel();
  shorter.cancel();
  parent.cancel();
});

cancel.run();

// ---------------------------------------------------------------------------------------------------------
const later = suite('postpone: fresh context with the same timeout length');

later('gives a fresh, not cancelled context with the same timeout length and the original values', () => {
  const clock = manualClock();
  const base = withClock(CallContext.background(), clock).with(keyA, 'orig');
  const original = withCancel(base, 3000, clock);
  const factory = postpone(original.ctx);
  clock.advance(1000);
  original.cancel();
  assert.is(original.ctx.signal.aborted, true);

  clock.advance(5000);
  const fresh = factory();
  assert.is(fresh.ctx.signal.aborted, false);
  assert.is(fresh.ctx.value(keyA), 'orig');
  assert.is(fresh.ctx.remainingMs(clock.now()), 3000);
  clock.advance(2999);
  assert.is(fresh.ctx.signal.aborted, false);
  clock.advance(1);
  assert.is(fresh.ctx.signal.aborted, true);
  assert.is((fresh.ctx.signal.reason as DOMException).name, 'TimeoutError');

  const again = factory();
  assert.is(again.ctx.remainingMs(clock.now()), 3000);
  again.cancel();
  assert.is(clock.pendingTimers, 0);
});

later('measures what is left when postpone is called', () => {
  const clock = manualClock();
  const original = withCancel(withClock(CallContext.background(), clock), 3000);
  clock.advance(1000);
  const factory = postpone(original.ctx);
  const fresh = factory();
  assert.is(fresh.ctx.remainingMs(clock.now()), 2000);
  fresh.cancel();
  original.cancel();
});

later('no deadline stays no deadline', () => {
  const clock = manualClock();
  const factory = postpone(withClock(CallContext.background(), clock).with(keyB, 1));
  const fresh = factory();
  assert.is(fresh.ctx.deadline, undefined);
  assert.is(fresh.ctx.value(keyB), 1);
  assert.is(clock.pendingTimers, 0);
  fresh.cancel();
});

later.run();

// ---------------------------------------------------------------------------------------------------------
const wait = suite('delay: manual clock and abort');

wait('resolves when the manual clock reaches the time', async () => {
  const clock = manualClock();
  let done = false;
  const p = delay(clock, 100).then(() => {
    done = true;
  });
  clock.advance(99);
  await flush();
  assert.is(done, false);
  clock.advance(1);
  await p;
  assert.is(done, true);
});

wait('rejects with the abort reason when the signal aborts first, and frees its timer', async () => {
  const clock = manualClock();
  const controller = new AbortController();
  const p = delay(clock, 100, controller.signal);
  const reason = new Error('stop');
  controller.abort(reason);
  try {
    await p;
    assert.unreachable();
  } catch (error) {
    assert.is(error, reason);
  }
  assert.is(clock.pendingTimers, 0);
});

wait('rejects at once on an already aborted signal', async () => {
  const clock = manualClock();
  const reason = new Error('already');
  try {
    await delay(clock, 100, AbortSignal.abort(reason));
    assert.unreachable();
  } catch (error) {
    assert.is(error, reason);
  }
  assert.is(clock.pendingTimers, 0);
});

wait.run();

// ---------------------------------------------------------------------------------------------------------
const serial = suite('SerialExecutor: FIFO');

serial('runs jobs one at a time in submission order', async () => {
  const executor = new SerialExecutor();
  const log: string[] = [];
  let running = 0;
  const job = (n: number) => async (): Promise<number> => {
    running++;
    assert.is(running, 1);
    log.push(`start ${n}`);
    for (let i = 0; i < (n % 3) + 1; i++) await flush();
    log.push(`end ${n}`);
    running--;
    return n * 10;
  };
  const results = [1, 2, 3, 4].map((n) => executor.run(job(n)));
  assert.is(executor.pending, 4);
  assert.equal(await Promise.all(results), [10, 20, 30, 40]);
  assert.equal(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
  await flush();
  assert.is(executor.pending, 0);
});

serial('a failing job rejects its own promise and does not block the queue', async () => {
  const executor = new SerialExecutor();
  const log: string[] = [];
  const a = executor.run(() => {
    log.push('a');
    return Promise.resolve('a');
  });
  const b = executor.run(() => {
    log.push('b');
    return Promise.reject(new Error('b failed'));
  });
  const c = executor.run(() => {
    log.push('c');
    return Promise.resolve('c');
  });
  assert.is(await a, 'a');
  try {
    await b;
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'b failed');
  }
  assert.is(await c, 'c');
  assert.equal(log, ['a', 'b', 'c']);
  await flush();
  assert.is(executor.pending, 0);
});

serial.run();

// ---------------------------------------------------------------------------------------------------------
const errs = suite('errors: StatusError and ConfigError');

errs('StatusError carries code, reason, message and cause', () => {
  const cause = new Error('root');
  const error = new StatusError(Code.NOT_FOUND, 'no such thing', { reason: 'X_MISSING', cause });
  assert.instance(error, Error);
  assert.is(error.name, 'StatusError');
  assert.is(error.code, Code.NOT_FOUND);
  assert.is(error.code, 5);
  assert.is(error.reason, 'X_MISSING');
  assert.is(error.message, 'no such thing');
  assert.is(error.cause, cause);
  const bare = new StatusError(Code.INTERNAL, 'x');
  assert.is(bare.reason, undefined);
  assert.is(bare.cause, undefined);
});

errs('isStatusError recognises StatusErrors only', () => {
  assert.ok(isStatusError(new StatusError(Code.UNKNOWN, 'x')));
  assert.ok(isStatusError(invalidArgument('R', 'm')));
  assert.not.ok(isStatusError(new Error('x')));
  assert.not.ok(isStatusError(null));
  assert.not.ok(isStatusError(undefined));
  assert.not.ok(isStatusError('StatusError'));
  assert.not.ok(isStatusError({ code: 3, reason: 'R' }));
});

errs('invalidArgument builds an INVALID_ARGUMENT StatusError with the reason', () => {
  const error = invalidArgument('THING_BAD', 'bad thing');
  assert.is(error.code, Code.INVALID_ARGUMENT);
  assert.is(error.reason, 'THING_BAD');
  assert.is(error.message, 'bad thing');
});

errs('ConfigError is a TypeError named ConfigError', () => {
  const error = new ConfigError('bad option');
  assert.instance(error, TypeError);
  assert.instance(error, ConfigError);
  assert.is(error.name, 'ConfigError');
  assert.is(error.message, 'bad option');
  assert.not.ok(isStatusError(error));
});

errs('isAbortError: only AbortError and TimeoutError DOMExceptions', () => {
  assert.ok(isAbortError(new DOMException('x', 'AbortError')));
  assert.ok(isAbortError(new DOMException('x', 'TimeoutError')));
  assert.not.ok(isAbortError(new DOMException('x', 'NotFoundError')));
  assert.not.ok(isAbortError(new Error('AbortError')));
});

errs.run();
