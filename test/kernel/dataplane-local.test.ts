/**
 * The kernel data plane against the real kernel, local case: NSC and NSE pods (namespaces) on one node, a
 * veth between them. Root only; skipped with a message otherwise.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionContext } from '../../src/api/gen/connectioncontext.js';
import { CallContext } from '../../src/chain/context.js';
import { isStatusError } from '../../src/chain/errors.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../src/chain/network-service.js';
import { beginServer } from '../../src/elements/begin/index.js';
import {
  kernelDataPlaneClient,
  kernelDataPlaneServer,
  reconcile,
} from '../../src/elements/kernel-dataplane/index.js';
import { mechanismTranslationClient } from '../../src/elements/mechanism-translation/index.js';
import { kernelMechanism } from '../../src/elements/mechanisms/index.js';
import { metadata } from '../../src/elements/metadata/index.js';
import { inodeUrl, type NetlinkPool, statNetns } from '../../src/kernel/index.js';
import {
  addresses,
  ip,
  link,
  type Namespaces,
  ping,
  pingSkipReason,
  freshKernelEach,
  routes,
  skipReason,
} from './fixture.js';
import { fakeNse, ipv4v6, nscRequest, type IpSetup } from './chains.js';

const bg = (): CallContext => CallContext.background();

function localForwarder(pool: NetlinkPool, nse: NetworkServiceElement): NetworkServiceHandler {
  return networkServiceHandler([
    beginServer(),
    metadata(),
    kernelDataPlaneServer({ pool }),
    mechanismTranslationClient(),
    kernelDataPlaneClient(),
    nse,
  ]);
}

const test = suite('kernel-dataplane (real kernel): local veth between two pods');
const it = skipReason === undefined ? test : test.skip.bind(test);

let nss: Namespaces;
let pool: NetlinkPool;
freshKernelEach(test, (fresh) => {
  ({ nss, pool } = fresh);
});

it('connects the pods with a veth, applies the IPContext, keeps it on refresh and removes it on close', async () => {
  const nsc = await nss.add('nsc');
  const nse = await nss.add('nse');
  const nseNs = (await statNetns(`/run/netns/${nse}`))!;
  const tail = fakeNse(inodeUrl(nseNs), ipv4v6, { mtu: 1400 });
  const fwd = localForwarder(pool, tail);

  const conn = await fwd.request(nscRequest('conn-local-1', `file:///run/netns/${nsc}`), bg());
  assert.equal(conn.mechanism?.parameters['name'], 'nsm-1', 'the NSC still sees its own mechanism');
  const a = (await link(nsc, 'nsm-1'))!;
  const b = (await link(nse, 'nse-if'))!;
  assert.ok(a && b, 'both ends exist, each in its pod');
  assert.is(a.ifalias, 'nsm-conn-local-1');
  assert.is(b.ifalias, 'nsm-conn-local-1');
  assert.is(a.mtu, 1400);
  assert.ok(a.flags.includes('UP') && b.flags.includes('UP'));
  assert.equal((await addresses(nsc)).sort(), ['172.31.1.2/32', 'fd00::2/128']);
  assert.equal((await addresses(nse)).sort(), ['172.31.1.1/32', 'fd00::1/128']);
  const nscRoutes = await routes(nsc);
  assert.ok(nscRoutes.includes('172.31.200.0/24 via 172.31.1.1 dev nsm-1 onlink'), nscRoutes.join('\n'));
  assert.ok(
    nscRoutes.some((r) => r.startsWith('172.31.1.1 ')),
    'route to the NSE address',
  );
  assert.ok(
    nscRoutes.some((r) => r.startsWith('fd00::1 ')),
    'IPv6 route to the NSE address',
  );
  if (pingSkipReason === undefined) {
    assert.ok(await ping(nsc, '172.31.1.1'), 'NSC → NSE');
    assert.ok(await ping(nse, '172.31.1.2'), 'NSE → NSC');
    assert.ok(await ping(nsc, 'fd00::1'), 'NSC → NSE over IPv6');
  }

  const refreshed = await fwd.request(
    { ...nscRequest('conn-local-1', `file:///run/netns/${nsc}`), connection: conn },
    bg(),
  );
  assert.is(refreshed.id, conn.id);
  assert.is((await link(nsc, 'nsm-1'))!.ifindex, a.ifindex, 'refresh keeps the NSC end');
  assert.is((await link(nse, 'nse-if'))!.ifindex, b.ifindex, 'refresh keeps the NSE end');

  await fwd.close(refreshed, bg());
  assert.is(await link(nsc, 'nsm-1'), undefined);
  assert.is(await link(nse, 'nse-if'), undefined);
  assert.equal(await addresses(nsc), []);
  assert.equal(await addresses(nse), []);
  assert.equal(await routes(nsc), []);
  assert.equal(await routes(nse), []);
  assert.is(tail.closes, 1);
});

it('re-applies a changed IPContext on refresh without re-creating the veth', async () => {
  const nsc = await nss.add('nsc');
  const nse = await nss.add('nse');
  let setup: IpSetup = ipv4v6;
  const tail: NetworkServiceElement = {
    name: 'changing-nse',
    request: async (request) => ({
      ...request.connection!,
      mechanism: kernelMechanism({ netnsUrl: `/run/netns/${nse}`, interfaceName: 'nse-if' }),
      context: ConnectionContext.fromPartial({ ipContext: setup }),
    }),
  };
  const fwd = localForwarder(pool, tail);
  const conn = await fwd.request(nscRequest('conn-local-2', nsc), bg());
  const before = (await link(nsc, 'nsm-1'))!.ifindex;
  setup = { ...ipv4v6, srcIpAddrs: ['172.31.1.3/32'], srcRoutes: [{ prefix: '172.31.201.0/24' }] };
  await fwd.request({ ...nscRequest('conn-local-2', nsc), connection: conn }, bg());
  assert.is((await link(nsc, 'nsm-1'))!.ifindex, before);
  assert.equal(await addresses(nsc), ['172.31.1.3/32']);
  const nscRoutes = await routes(nsc);
  assert.ok(nscRoutes.includes('172.31.201.0/24 via 172.31.1.1 dev nsm-1 onlink'), nscRoutes.join('\n'));
  assert.not.ok(
    nscRoutes.some((r) => r.startsWith('172.31.200.0/24')),
    'the old route is gone',
  );
  await fwd.close(conn, bg());
  assert.equal(await routes(nsc), []);
});

it('removes the veth and closes the next hop when configuring fails after creation', async () => {
  const nsc = await nss.add('nsc');
  const nse = await nss.add('nse');
  // IPv6 needs an MTU of at least 1280: the IPv6 address is refused after the veth exists.
  const tail = fakeNse(`/run/netns/${nse}`, ipv4v6, { mtu: 1000 });
  const fwd = localForwarder(pool, tail);
  try {
    await fwd.request(nscRequest('conn-local-3', nsc), bg());
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error), String(error));
    assert.is(error.reason, 'KERNEL_COMMAND_FAILED');
  }
  assert.is(await link(nsc, 'nsm-1'), undefined);
  assert.is(await link(nse, 'nse-if'), undefined);
  assert.is(tail.closes, 1, 'the next hop was closed');
});

it('refuses to take over an interface it did not make', async () => {
  const nsc = await nss.add('nsc');
  const nse = await nss.add('nse');
  await ip('-n', nse, 'link', 'add', 'nse-if', 'type', 'veth', 'peer', 'name', 'other-if');
  const tail = fakeNse(`/run/netns/${nse}`, ipv4v6);
  const fwd = localForwarder(pool, tail);
  try {
    await fwd.request(nscRequest('conn-local-4', nsc), bg());
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error), String(error));
    assert.is(error.reason, 'KERNEL_DATAPLANE_NAME_TAKEN');
  }
  assert.ok(await link(nse, 'nse-if'), 'the foreign interface is still there');
  assert.is(await link(nsc, 'nsm-1'), undefined);
});

it('after a restart: replaces stale links of a live connection and reconcile removes dead ones', async () => {
  const nsc = await nss.add('nsc');
  const nse = await nss.add('nse');
  const live = localForwarder(pool, fakeNse(`/run/netns/${nse}`, ipv4v6, { name: 'nse-live' }));
  const dead = localForwarder(pool, fakeNse(`/run/netns/${nse}`, ipv4v6, { name: 'nse-dead' }));
  await live.request(nscRequest('conn-live', nsc, 'nsm-1'), bg());
  await dead.request(nscRequest('conn-dead', nsc, 'nsm-2'), bg());
  const stale = (await link(nsc, 'nsm-1'))!.ifindex;

  // After a restart nothing remembers the links above.
  const scanned = [(await statNetns(`/run/netns/${nsc}`))!, (await statNetns(`/run/netns/${nse}`))!];
  const result = await reconcile(pool, scanned, ['conn-live']);
  assert.equal(
    result.removed.map((r) => r.name),
    ['nsm-2'],
  );
  assert.equal(result.kept.map((r) => r.name).sort(), ['nse-live', 'nsm-1']);
  assert.is(await link(nsc, 'nsm-2'), undefined);
  assert.is(await link(nse, 'nse-dead'), undefined, 'the peer went with it');

  const restarted = localForwarder(pool, fakeNse(`/run/netns/${nse}`, ipv4v6, { name: 'nse-live' }));
  const healed = await restarted.request(nscRequest('conn-live', nsc, 'nsm-1'), bg());
  const now = (await link(nsc, 'nsm-1'))!;
  assert.is.not(now.ifindex, stale, 'the stale link was replaced');
  assert.ok(await link(nse, 'nse-live'));
  if (pingSkipReason === undefined) assert.ok(await ping(nsc, '172.31.1.1'));
  await restarted.close(healed, bg());
  assert.equal(await routes(nsc), []);
  assert.equal(await routes(nse), []);
});

test.run();
