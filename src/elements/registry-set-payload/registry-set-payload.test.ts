import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkService } from '../../api/gen/registry.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { nsRegistryHandler } from '../../chain/registry.js';
import { setPayloadNs } from './index.js';

const bg = (): CallContext => CallContext.background();
const test = suite('registry-set-payload');

test('an empty payload becomes IP; a set payload stays; the caller input is not changed', async () => {
  const handler = nsRegistryHandler([setPayloadNs()]);
  const input = NetworkService.fromPartial({ name: 'svc' });
  assert.is((await handler.register(input, bg())).payload, 'IP');
  assert.is(input.payload, '');
  const ethernet = NetworkService.fromPartial({ name: 'svc', payload: 'ETHERNET' });
  assert.is((await handler.register(ethernet, bg())).payload, 'ETHERNET');
});

test('the default is configurable and must not be empty', async () => {
  const handler = nsRegistryHandler([setPayloadNs({ payload: 'ETHERNET' })]);
  assert.is((await handler.register(NetworkService.fromPartial({ name: 'svc' }), bg())).payload, 'ETHERNET');
  assert.throws(
    () => setPayloadNs({ payload: '' }),
    (e: unknown) => e instanceof ConfigError,
  );
});

test.run();
