import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { NetworkServiceEndpoint, type NetworkServiceEndpointResponse } from '../../api/gen/registry.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError } from '../../chain/errors.js';
import { nseRegistryHandler, type NseRegistryElement } from '../../chain/registry.js';
import { memoryNseRegistry } from '../registry-memory/index.js';
import { localBypassNse } from './index.js';

const nsmgrUrl = 'tcp://0.0.0.0:5001';
const nseUrl = 'tcp://1.1.1.1:5002';
const bg = (): CallContext => CallContext.background();
const nse = (name: string, url = nseUrl): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, url });
const everything = { networkServiceEndpoint: undefined, watch: false };
const urls = async (stream$: Observable<NetworkServiceEndpointResponse>): Promise<string[]> =>
  (await lastValueFrom(stream$.pipe(toArray()))).map(
    (r) => `${r.networkServiceEndpoint?.name}=${r.networkServiceEndpoint?.url}${r.deleted ? ':deleted' : ''}`,
  );

const flow = suite('registry-local-bypass: register, find, unregister');

flow('the store gets the NSMgr URL; the caller and local finds get the real one', async () => {
  const memory = memoryNseRegistry();
  const bypass = localBypassNse({ nsmgrUrl });
  const server = nseRegistryHandler([bypass, memory]);
  const store = nseRegistryHandler([memory]);
  const input = nse('a');
  const registered = await server.register(input, bg());
  assert.is(registered.url, nseUrl);
  assert.is(input.url, nseUrl, 'the input is not changed');
  assert.equal(await urls(store.find(everything, bg())), [`a=${nsmgrUrl}`]);
  assert.equal(await urls(server.find(everything, bg())), [`a=${nseUrl}`]);
  await server.unregister(registered, bg());
  assert.is(memory.size, 0);
  assert.is(bypass.size, 0);
});

flow('an NSE registered again with another URL is found at the new one', async () => {
  const server = nseRegistryHandler([localBypassNse({ nsmgrUrl }), memoryNseRegistry()]);
  await server.register(nse('a'), bg());
  const moved = await server.register(nse('a', 'tcp://1.1.1.2:5002'), bg());
  assert.is(moved.url, 'tcp://1.1.1.2:5002');
  assert.equal(await urls(server.find(everything, bg())), ['a=tcp://1.1.1.2:5002']);
});

flow('after a restart, stale entries pointing at this NSMgr are hidden until the NSE refreshes', async () => {
  const memory = memoryNseRegistry();
  await nseRegistryHandler([localBypassNse({ nsmgrUrl }), memory]).register(nse('a'), bg());
  const restarted = nseRegistryHandler([localBypassNse({ nsmgrUrl }), memory]);
  assert.equal(await urls(restarted.find(everything, bg())), []);
  await restarted.register(nse('a'), bg());
  assert.equal(await urls(restarted.find(everything, bg())), [`a=${nseUrl}`]);
});

flow('deletions of unknown entries pointing at this NSMgr still reach watchers', async () => {
  const memory = memoryNseRegistry();
  const before = nseRegistryHandler([localBypassNse({ nsmgrUrl }), memory]);
  const after = nseRegistryHandler([localBypassNse({ nsmgrUrl }), memory]);
  const seen: string[] = [];
  const watch = after.find({ networkServiceEndpoint: undefined, watch: true }, bg()).subscribe((r) => {
    seen.push(`${r.networkServiceEndpoint?.name}${r.deleted ? ':deleted' : ''}`);
  });
  await before.register(nse('a'), bg());
  await before.unregister(nse('a'), bg());
  watch.unsubscribe();
  assert.equal(seen, ['a:deleted']);
});

flow('Unregister of an unknown name does not go on', async () => {
  const unregistered: string[] = [];
  const spy: NseRegistryElement = {
    name: 'spy',
    unregister: async (entry) => void unregistered.push(entry.name),
  };
  await nseRegistryHandler([localBypassNse({ nsmgrUrl }), spy]).unregister(nse('ghost'), bg());
  assert.equal(unregistered, []);
});

flow.run();

const errors = suite('registry-local-bypass: errors');

errors('an empty or unparsable URL is refused with LOCALBYPASS_INVALID_URL', async () => {
  const bypass = localBypassNse({ nsmgrUrl });
  const server = nseRegistryHandler([bypass, memoryNseRegistry()]);
  for (const url of ['', '::not a url::']) {
    try {
      await server.register(nse('a', url), bg());
      assert.unreachable(`accepted ${url}`);
    } catch (error) {
      assert.ok(isStatusError(error));
      assert.is(error.code, Code.INVALID_ARGUMENT);
      assert.is(error.reason, 'LOCALBYPASS_INVALID_URL');
    }
  }
  assert.is(bypass.size, 0);
});

errors('a failed first Register forgets the URL; a failed refresh keeps it', async () => {
  let fail = true;
  const bypass = localBypassNse({ nsmgrUrl });
  const flaky: NseRegistryElement = {
    name: 'flaky',
    register: (entry, ctx, next) => (fail ? Promise.reject(new Error('refused')) : next.register(entry, ctx)),
  };
  const server = nseRegistryHandler([bypass, flaky, memoryNseRegistry()]);
  await server.register(nse('a'), bg()).catch(() => undefined);
  assert.is(bypass.size, 0);
  fail = false;
  await server.register(nse('a'), bg());
  fail = true;
  await server.register(nse('a'), bg()).catch(() => undefined);
  assert.equal(await urls(server.find(everything, bg())), [`a=${nseUrl}`]);
});

errors('nsmgrUrl is required', () => {
  assert.throws(
    () => localBypassNse({ nsmgrUrl: '' }),
    (e: unknown) => e instanceof ConfigError,
  );
});

errors.run();
