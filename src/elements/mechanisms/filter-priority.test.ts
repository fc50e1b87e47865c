import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { withClientUrl } from '../../chain/client-url.js';
import { CallContext } from '../../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { checkRequest } from '../../testing/index.js';
import { Cls, filterMechanismsClient, mechanismPriorityClient } from './index.js';

const isConfigError = (e: unknown): boolean => e instanceof TypeError && e.name === 'ConfigError';

async function sentTypes(
  element: NetworkServiceElement,
  request: NetworkServiceRequest,
  ctx = CallContext.background(),
): Promise<string[]> {
  let seen: NetworkServiceRequest | undefined;
  await networkServiceHandler([element, checkRequest((r) => (seen = r))]).request(request, ctx);
  return seen!.mechanismPreferences.map((m) => m.type);
}

const mixed = (): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    mechanismPreferences: [
      { cls: Cls.REMOTE, type: 'SRV6' },
      { cls: Cls.REMOTE, type: 'VXLAN' },
      { cls: Cls.REMOTE, type: 'WIREGUARD' },
      { cls: Cls.LOCAL, type: 'KERNEL' },
      { cls: Cls.LOCAL, type: 'MEMIF' },
    ],
  });

// ---------------------------------------------------------------------------------------------------------
const filter = suite('filter-mechanisms');

filter('unix: and inode: URLs keep LOCAL preferences; other URLs keep REMOTE ones', async () => {
  const ctx = (url: string): CallContext => withClientUrl(CallContext.background(), url);
  const local = ['KERNEL', 'MEMIF'];
  const remote = ['SRV6', 'VXLAN', 'WIREGUARD'];
  assert.equal(await sentTypes(filterMechanismsClient(), mixed(), ctx('unix:///var/lib/nsm.sock')), local);
  assert.equal(await sentTypes(filterMechanismsClient(), mixed(), ctx('inode://4/5')), local);
  assert.equal(await sentTypes(filterMechanismsClient(), mixed(), ctx('tcp://10.0.0.1:5001')), remote);
  assert.equal(await sentTypes(filterMechanismsClient(), mixed(), ctx('nsmgr:5001')), remote);
});

filter('without a client URL the preferences pass unchanged; the request is never changed', async () => {
  const request = mixed();
  assert.equal(
    await sentTypes(filterMechanismsClient(), request),
    request.mechanismPreferences.map((m) => m.type),
  );
  await sentTypes(filterMechanismsClient(), request, withClientUrl(CallContext.background(), 'unix:///x'));
  assert.is(request.mechanismPreferences.length, 5);
});

filter.run();

// ---------------------------------------------------------------------------------------------------------
const priority = suite('mechanism-priority');

priority('the Go table', async () => {
  const cases: [string, string[], string[]][] = [
    ['no priority', [], ['SRV6', 'VXLAN', 'WIREGUARD', 'KERNEL', 'MEMIF']],
    ['one priority', ['VXLAN'], ['VXLAN', 'SRV6', 'WIREGUARD', 'KERNEL', 'MEMIF']],
    ['multi', ['KERNEL', 'WIREGUARD', 'SRV6'], ['KERNEL', 'WIREGUARD', 'SRV6', 'VXLAN', 'MEMIF']],
    ['not supported', ['NOT_SUPPORTED', 'VXLAN'], ['VXLAN', 'SRV6', 'WIREGUARD', 'KERNEL', 'MEMIF']],
    ['lower case', ['wireguard', 'vxlan'], ['WIREGUARD', 'VXLAN', 'SRV6', 'KERNEL', 'MEMIF']],
  ];
  for (const [name, priorities, expected] of cases) {
    assert.equal(await sentTypes(mechanismPriorityClient(priorities), mixed()), expected, name);
  }
  assert.equal(
    await sentTypes(mechanismPriorityClient(['VXLAN']), NetworkServiceRequest.fromPartial({})),
    [],
  );
});

priority('stable within a type; the request is not changed', async () => {
  const request = NetworkServiceRequest.fromPartial({
    mechanismPreferences: [
      { type: 'KERNEL', parameters: { n: '1' } },
      { type: 'VXLAN', parameters: { n: '2' } },
      { type: 'KERNEL', parameters: { n: '3' } },
      { type: 'VXLAN', parameters: { n: '4' } },
    ],
  });
  let seen: NetworkServiceRequest | undefined;
  await networkServiceHandler([mechanismPriorityClient(['VXLAN']), checkRequest((r) => (seen = r))]).request(
    request,
    CallContext.background(),
  );
  assert.equal(
    seen?.mechanismPreferences.map((m) => m.parameters['n']),
    ['2', '4', '1', '3'],
  );
  assert.equal(
    request.mechanismPreferences.map((m) => m.parameters['n']),
    ['1', '2', '3', '4'],
  );
  assert.throws(() => mechanismPriorityClient([1 as unknown as string]), isConfigError);
});

priority.run();
