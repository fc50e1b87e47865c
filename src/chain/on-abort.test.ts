import { getEventListeners } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { abortListenerCount, onAbort } from './on-abort.js';

const test = suite('onAbort: one listener per signal, O(1) removal');

test('listeners run once, in the order added; removed ones do not run', () => {
  const controller = new AbortController();
  const calls: string[] = [];
  onAbort(controller.signal, () => calls.push('a'));
  const offB = onAbort(controller.signal, () => calls.push('b'));
  onAbort(controller.signal, () => calls.push('c'));
  assert.is(getEventListeners(controller.signal, 'abort').length, 1, 'one real listener');
  assert.is(abortListenerCount(controller.signal), 3);
  offB();
  offB();
  controller.abort();
  assert.equal(calls, ['a', 'c']);
  assert.is(abortListenerCount(controller.signal), 0);
});

test('a listener removed by an earlier one during the abort does not run', () => {
  const controller = new AbortController();
  const calls: string[] = [];
  let offSecond = (): void => undefined;
  onAbort(controller.signal, () => {
    calls.push('first');
    offSecond();
  });
  offSecond = onAbort(controller.signal, () => calls.push('second'));
  controller.abort();
  assert.equal(calls, ['first']);
});

test('the same function added twice is two listeners; an aborted signal takes none', () => {
  const controller = new AbortController();
  let calls = 0;
  const listener = (): void => void calls++;
  const off = onAbort(controller.signal, listener);
  onAbort(controller.signal, listener);
  off();
  controller.abort();
  assert.is(calls, 1);
  onAbort(controller.signal, listener)();
  assert.is(calls, 1);
});

test('a throwing listener does not stop the others; its error surfaces as uncaught', async () => {
  const controller = new AbortController();
  const seen: unknown[] = [];
  const catcher = (error: unknown): void => void seen.push(error);
  process.prependOnceListener('uncaughtException', catcher);
  let ran = false;
  onAbort(controller.signal, () => {
    throw new Error('boom');
  });
  onAbort(controller.signal, () => (ran = true));
  controller.abort();
  assert.ok(ran);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is((seen[0] as Error | undefined)?.message, 'boom');
});

test.run();
