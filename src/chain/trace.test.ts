import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../api/gen/networkservice.js';
import { CallContext } from './context.js';
import { jsonLogger, silentLogger } from './logger.js';
import {
  networkServiceHandler,
  networkServiceMethods,
  type NetworkServiceElement,
} from './network-service.js';
import { traced } from './trace.js';

const pass = (name: string): NetworkServiceElement => ({ name, request: (r, c, n) => n.request(r, c) });
const failing: NetworkServiceElement = { name: 'failing', request: () => Promise.reject(new Error('boom')) };

const trace = suite('trace');

trace('with debug off the elements are returned untouched', () => {
  const elements = [pass('a'), pass('b')];
  assert.is(traced(networkServiceMethods, elements, silentLogger), elements);
  assert.is(
    traced(
      networkServiceMethods,
      elements,
      jsonLogger('info', {}, () => undefined),
    ),
    elements,
  );
});

trace('with debug on each element logs entry, and an error is logged once where it appeared', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = jsonLogger('debug', { component: 'test' }, (line) =>
    lines.push(JSON.parse(line) as Record<string, unknown>),
  );
  const handler = networkServiceHandler(
    traced(networkServiceMethods, [pass('a'), pass('b'), failing], logger),
  );
  const request = NetworkServiceRequest.fromPartial({ connection: { id: 'c1' } });
  await handler.request(request, CallContext.background()).catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  const enters = lines.filter((l) => l['msg'] === 'enter').map((l) => l['element']);
  assert.equal(enters, ['a', 'b', 'failing']);
  const errors = lines.filter((l) => l['msg'] === 'error');
  assert.is(errors.length, 1);
  assert.is(errors[0]?.['element'], 'failing');
  assert.is((errors[0]?.['error'] as { message: string }).message, 'boom');
  assert.ok(lines.every((l) => l['component'] === 'test' && l['id'] === 'c1'));
});

trace('levels below the threshold are not written', () => {
  const lines: string[] = [];
  const logger = jsonLogger('warn', {}, (line) => lines.push(line));
  logger.log('info', 'quiet');
  logger.log('error', 'loud');
  assert.is(lines.length, 1);
  assert.ok(logger.isEnabled('error'));
  assert.not.ok(logger.isEnabled('debug'));
});

trace.run();
