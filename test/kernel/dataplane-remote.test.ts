/**
 * The kernel data plane against the real kernel, remote case: NSC on node A, NSE on node B, a VXLAN device in
 * each pod with its UDP socket in its node's namespace, the nodes joined by an underlay veth (172.31.255.0/30).
 * Both forwarders run in this process; the NSC-side one reaches the NSE-side one directly. Root only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from '../../src/api/gen/connection.js';
import type { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { CallContext } from '../../src/chain/context.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../src/chain/network-service.js';
import { beginServer } from '../../src/elements/begin/index.js';
import { kernelDataPlaneClient, kernelDataPlaneServer } from '../../src/elements/kernel-dataplane/index.js';
import { mechanismTranslationClient } from '../../src/elements/mechanism-translation/index.js';
import { vxlanClient, vxlanMechanism, vxlanServer } from '../../src/elements/mechanisms/index.js';
import { metadata } from '../../src/elements/metadata/index.js';
import { findExecutable, type NetlinkPool } from '../../src/kernel/index.js';
import { fakeNse, ipv4v6, nscRequest } from './chains.js';
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

const bg = (): CallContext => CallContext.background();
const exec = promisify(execFile);
const A = '172.31.255.1';
const B = '172.31.255.2';

/** Offers VXLAN (the forwarder's mechanism client elements would). */
const offerVxlan: NetworkServiceElement = {
  name: 'offer-vxlan',
  request: (request, ctx, next) =>
    next.request(
      { ...request, mechanismPreferences: [...request.mechanismPreferences, vxlanMechanism()] },
      ctx,
    ),
};

/**
 * Stands in for connect + nsmgr B: sends the first preference as the mechanism to forwarder B, with a fresh
 * context (a real hop is a gRPC call: no per-connection metadata crosses it).
 */
function bridge(to: NetworkServiceHandler): NetworkServiceElement {
  return {
    name: 'bridge',
    request: (request: NetworkServiceRequest, ctx) =>
      to.request(
        {
          ...request,
          mechanismPreferences: [],
          connection: { ...request.connection!, mechanism: request.mechanismPreferences[0] },
        },
        CallContext.of({ signal: ctx.signal, deadline: ctx.deadline }),
      ),
    close: (connection: Connection, ctx) =>
      to.close(connection, CallContext.of({ signal: ctx.signal, deadline: ctx.deadline })),
  };
}

async function udpPorts(ns: string): Promise<string> {
  return (await exec('ip', ['netns', 'exec', ns, 'ss', '-Huln'])).stdout;
}

interface VxlanInfo {
  ifindex: number;
  mtu: number;
  linkinfo: { info_kind: string; info_data: { id: number; port: number; local?: string; remote?: string } };
}

async function vxlanInfo(ns: string, name: string): Promise<VxlanInfo> {
  const [row] = JSON.parse(await ip('-n', ns, '-d', '-j', 'link', 'show', 'dev', name)) as VxlanInfo[];
  return row!;
}

const test = suite('kernel-dataplane (real kernel): VXLAN between two nodes');
const it = skipReason === undefined ? test : test.skip.bind(test);
const ssMissing = (await findExecutable('ss')) === undefined;

let nss: Namespaces;
let pool: NetlinkPool;
freshKernelEach(test, (fresh) => {
  ({ nss, pool } = fresh);
});

it('creates a VXLAN device in each pod with the socket in the node, pings both ways, refreshes, closes', async () => {
  const [nodeA, nodeB, nsc, nse] = [
    await nss.add('nodeA'),
    await nss.add('nodeB'),
    await nss.add('nsc'),
    await nss.add('nse'),
  ];
  await ip(
    'link',
    'add',
    'name',
    'ul0',
    'netns',
    nodeA,
    'type',
    'veth',
    'peer',
    'name',
    'ul0',
    'netns',
    nodeB,
  );
  await ip('-n', nodeA, 'addr', 'add', `${A}/30`, 'dev', 'ul0');
  await ip('-n', nodeB, 'addr', 'add', `${B}/30`, 'dev', 'ul0');
  await ip('-n', nodeA, 'link', 'set', 'ul0', 'up');
  await ip('-n', nodeB, 'link', 'set', 'ul0', 'up');

  const nseTail = fakeNse(`/run/netns/${nse}`, ipv4v6);
  const fwdB = networkServiceHandler([
    beginServer(),
    metadata(),
    vxlanServer({ dstIp: B }),
    kernelDataPlaneServer({ pool, nodeNetns: nodeB }),
    mechanismTranslationClient(),
    kernelDataPlaneClient(),
    nseTail,
  ]);
  const fwdA = networkServiceHandler([
    beginServer(),
    metadata(),
    kernelDataPlaneServer({ pool, nodeNetns: `file:///run/netns/${nodeA}` }),
    mechanismTranslationClient(),
    kernelDataPlaneClient(),
    offerVxlan,
    vxlanClient({ srcIp: A }),
    bridge(fwdB),
  ]);

  const conn = await fwdA.request(nscRequest('conn-remote-1', nsc), bg());
  assert.is(conn.mechanism?.type, 'KERNEL', 'the NSC sees its KERNEL mechanism');
  const a = await vxlanInfo(nsc, 'nsm-1');
  const b = await vxlanInfo(nse, 'nse-if');
  assert.is(a.linkinfo.info_kind, 'vxlan');
  assert.is(b.linkinfo.info_kind, 'vxlan');
  assert.ok(a.linkinfo.info_data.id > 0);
  assert.is(a.linkinfo.info_data.id, b.linkinfo.info_data.id, 'one VNI');
  assert.is(a.linkinfo.info_data.port, 4789, 'explicit dstport');
  assert.is(a.linkinfo.info_data.local, A);
  assert.is(a.linkinfo.info_data.remote, B);
  assert.is(b.linkinfo.info_data.local, B);
  assert.is(b.linkinfo.info_data.remote, A);
  assert.is(a.mtu, 1450, '1500 less 50 bytes of IPv4 VXLAN overhead');
  assert.equal((await addresses(nsc)).sort(), ['172.31.1.2/32', 'fd00::2/128']);
  assert.equal((await addresses(nse)).sort(), ['172.31.1.1/32', 'fd00::1/128']);
  if (!ssMissing) {
    assert.match(await udpPorts(nodeA), ':4789', 'the UDP socket is in node A');
    assert.match(await udpPorts(nodeB), ':4789', 'the UDP socket is in node B');
    assert.not.match(await udpPorts(nsc), ':4789', 'no socket in the pod');
  }
  if (pingSkipReason === undefined) {
    assert.ok(await ping(nsc, '172.31.1.1'), 'NSC → NSE over the tunnel');
    assert.ok(await ping(nse, '172.31.1.2'), 'NSE → NSC over the tunnel');
    assert.ok(await ping(nsc, 'fd00::1'), 'NSC → NSE over IPv6 in the tunnel');
    const underlay = JSON.parse(await ip('-n', nodeA, '-s', '-j', 'link', 'show', 'dev', 'ul0')) as {
      stats64: { tx: { packets: number } };
    }[];
    assert.ok(underlay[0]!.stats64.tx.packets > 0, 'traffic went over the underlay');
  }

  const refreshed = await fwdA.request({ ...nscRequest('conn-remote-1', nsc), connection: conn }, bg());
  assert.is((await link(nsc, 'nsm-1'))!.ifindex, a.ifindex, 'refresh keeps the NSC-side device');
  assert.is((await link(nse, 'nse-if'))!.ifindex, b.ifindex, 'refresh keeps the NSE-side device');

  await fwdA.close(refreshed, bg());
  assert.is(await link(nsc, 'nsm-1'), undefined);
  assert.is(await link(nse, 'nse-if'), undefined);
  assert.equal(await addresses(nsc), []);
  assert.equal(await addresses(nse), []);
  assert.equal(await routes(nsc), []);
  assert.equal(await routes(nse), []);
  if (!ssMissing) assert.not.match(await udpPorts(nodeA), ':4789', 'the socket went with the last device');
  assert.is(nseTail.closes, 1);
});

test.run();
