import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkService } from '../../api/gen/registry.js';
import { CallContext } from '../../chain/context.js';
import { isStatusError } from '../../chain/errors.js';
import { nsRegistryHandler } from '../../chain/registry.js';
import { authorizeNsRegistry, clientAllowedPolicy } from './index.js';

const ns = (name: string, caller: string): NetworkService =>
  NetworkService.fromPartial({ name, pathIds: [caller, 'registry'] });
const bg = CallContext.background();
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const authorize = suite('registry-authorize: client allowed');

authorize(
  'the first registrant owns the name; another caller is refused; the owner may unregister',
  async () => {
    const element = authorizeNsRegistry({ policies: [clientAllowedPolicy()] });
    const handler = nsRegistryHandler([element]);
    await handler.register(ns('ns-1', 'spiffe://test.com/ns-1'), bg);
    await handler.register(ns('ns-1', 'spiffe://test.com/ns-1'), bg);
    const refused = await rejection(handler.register(ns('ns-1', 'spiffe://test.com/ns-2'), bg));
    assert.ok(isStatusError(refused));
    assert.is(refused.reason, 'REGISTRY_AUTHORIZE_NOT_OWNER');
    assert.ok(isStatusError(await rejection(handler.unregister(ns('ns-1', 'spiffe://test.com/ns-2'), bg))));
    await handler.unregister(ns('ns-1', 'spiffe://test.com/ns-1'), bg);
    assert.is(element.size, 0);
    await handler.register(ns('ns-1', 'spiffe://test.com/ns-2'), bg);
  },
);

authorize('without policies anything goes (Go Any)', async () => {
  const handler = nsRegistryHandler([authorizeNsRegistry()]);
  await handler.register(ns('ns-1', 'a'), bg);
  await handler.register(ns('ns-1', 'b'), bg);
});

authorize.run();
