/**
 * The kernel data plane across two nodes through real processes. Network namespaces stand in for the nodes
 * (joined by an underlay veth, 172.30.1.0/30) and for the pods. Each node's nsmgr and forwarder run in its
 * node namespace, the nsmgrs also listening on the underlay (a unix URL would make the forwarders offer only
 * local mechanisms); the registry runs here; the client and the endpoint run in their pods. The connection is
 * a VXLAN device in each pod with its UDP socket in the node: pings go both ways over the underlay, refreshes
 * keep the devices, and the client's stop removes every interface, address and route; then every process,
 * namespace and socket dir of the test is gone. Needs root and `ip netns`; skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionEventType, MonitorScopeSelector } from '../../src/api/gen/connection.js';
import { grpcDialer } from '../../src/api/peer.js';
import { CallContext } from '../../src/chain/context.js';
import { NsmProcess, processesWithEnv } from './helpers/processes.js';

const remote = suite('cli: kernel data plane between two nodes (VXLAN)');
const id = randomUUID().slice(0, 8);
const ns = {
  node0: `nsm-rp-${id}-node0`,
  node1: `nsm-rp-${id}-node1`,
  nsc: `nsm-rp-${id}-nsc`,
  nse: `nsm-rp-${id}-nse`,
};
const all = Object.values(ns);
const underlay = ['172.30.1.1', '172.30.1.2'] as const;
const MARK = 'REMOTE_PROCESSES_TEST_MARK';
const mark = randomUUID();
const dir = mkdtempSync(join(tmpdir(), 'nsm-remote-e2e-'));
const sock = (name: string): string => `unix://${join(dir, `${name}.sock`)}`;
const started: NsmProcess[] = [];

const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** True when this process may make network namespaces; makes the test's namespaces and the underlay. */
function setUp(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    for (const n of all) {
      ip('netns', 'add', n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
  } catch {
    return false;
  }
  ip('link', 'add', 'name', 'ul', 'netns', ns.node0, 'type', 'veth', 'peer', 'name', 'ul', 'netns', ns.node1);
  for (const [i, node] of [ns.node0, ns.node1].entries()) {
    ip('-n', node, 'addr', 'add', `${underlay[i]}/30`, 'dev', 'ul');
    ip('-n', node, 'link', 'set', 'ul', 'up');
  }
  return true;
}

function start(
  label: string,
  args: readonly string[],
  env: Record<string, string>,
  netns?: string,
): NsmProcess {
  const prefix = netns === undefined ? [] : ['ip', 'netns', 'exec', netns];
  const child = new NsmProcess(label, args, { ...env, NSM_LOG_LEVEL: 'INFO', [MARK]: mark }, prefix);
  started.push(child);
  return child;
}

const startup = (p: NsmProcess): Promise<unknown> => p.waitForMessage('startup completed in ');

interface Row {
  ifindex: number;
  ifname: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; remote?: string; port?: number };
  };
  addr_info?: { local: string; prefixlen: number; scope: string }[];
  stats64?: { tx: { packets: number } };
}
const rows = (netns: string): Row[] => JSON.parse(ip('-n', netns, '-d', '-s', '-j', 'addr', 'show')) as Row[];
const names = (netns: string): string[] => rows(netns).map((r) => r.ifname);
const only = (netns: string): Row => {
  const found = rows(netns).filter((r) => r.ifname !== 'lo');
  assert.is(found.length, 1, `one interface in ${netns}: ${found.map((r) => r.ifname).join(', ')}`);
  return found[0]!;
};
const globalAddresses = (netns: string): string[] =>
  rows(netns).flatMap((r) => (r.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => a.local));
const routes = (netns: string): string[] =>
  [...ip('-n', netns, 'route', 'show').split('\n'), ...ip('-n', netns, '-6', 'route', 'show').split('\n')]
    .map((l) => l.trim())
    .filter(
      (l) => l !== '' && !l.includes('proto kernel') && !l.startsWith('fe80::') && !l.startsWith('multicast'),
    );
const ping = (netns: string, address: string): void =>
  void execFileSync('ip', ['netns', 'exec', netns, 'ping', '-c', '1', '-W', '2', address], {
    encoding: 'utf8',
  });
const udp = (netns: string): string =>
  execFileSync('ip', ['netns', 'exec', netns, 'ss', '-Huln'], { encoding: 'utf8' });
const hasSs = ((): boolean => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Counts the UPDATE events (refreshes) nsmgr-0 reports for the client's connection. */
function watchRefreshes(clientId: string): { count: () => number; close: () => void } {
  const dialer = grpcDialer();
  const stop = new AbortController();
  let updates = 0;
  const selector = MonitorScopeSelector.fromPartial({ pathSegments: [{ id: clientId }] });
  const subscription = dialer(sock('nsmgr-0'))
    .monitorConnection.monitorConnections(selector, CallContext.of({ signal: stop.signal }))
    .subscribe({
      next: (event) => {
        if (event.type === ConnectionEventType.UPDATE) updates++;
      },
      error: () => undefined,
    });
  return {
    count: () => updates,
    close: () => {
      stop.abort();
      subscription.unsubscribe();
      dialer.closeAll();
    },
  };
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

remote.after(() => {
  for (const child of started) child.kill();
  for (const n of all) {
    try {
      ip('netns', 'del', n);
    } catch {
      // not made, or already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const body = async (): Promise<void> => {
  const registry = start('registry', ['registry'], { NSM_LISTEN_ON: sock('registry') });
  const nsmgrs = [0, 1].map((i) =>
    start(
      `nsmgr-${i}`,
      ['nsmgr'],
      {
        NSM_NAME: `nsmgr-${i}`,
        NSM_LISTEN_ON: `${sock(`nsmgr-${i}`)},tcp://${underlay[i]}:5001`,
        NSM_REGISTRY_URL: sock('registry'),
      },
      i === 0 ? ns.node0 : ns.node1,
    ),
  );
  await Promise.all([registry, ...nsmgrs].map(startup));
  const forwarders = ([0, 1] as const).map((i) =>
    start(
      `forwarder-${i}`,
      ['forwarder'],
      {
        NSM_NAME: `forwarder-${i}`,
        NSM_CONNECT_TO: sock(`nsmgr-${i}`),
        NSM_LISTEN_ON: sock(`forwarder-${i}`),
        NSM_TUNNEL_IP: underlay[i],
      },
      i === 0 ? ns.node0 : ns.node1,
    ),
  );
  const nse = start(
    'nse',
    ['nse-icmp-responder'],
    {
      NSM_NAME: 'nse-r',
      NSM_CONNECT_TO: sock('nsmgr-1'),
      NSM_LISTEN_ON: sock('nse'),
      NSM_CIDR_PREFIX: '172.16.9.100/31',
    },
    ns.nse,
  );
  await Promise.all([...forwarders, nse].map(startup));
  const nsc = start(
    'nsc',
    ['nsc'],
    {
      NSM_NAME: 'nsc-r',
      NSM_CONNECT_TO: sock('nsmgr-0'),
      NSM_NETWORK_SERVICES: 'kernel://icmp-responder/nsm-1',
      // Refreshes every ~1.2 s (a fifth of the shortest token lifetime on the path). The nsmgr closes a
      // connection the request timeout before its token expires, so the lifetime must be longer than that.
      NSM_MAX_TOKEN_LIFETIME: '6s',
      NSM_REQUEST_TIMEOUT: '2s',
    },
    ns.nsc,
  );
  const connected = await nsc.waitForMessage('connected to icmp-responder');
  const path = (connected['connection'] as { path: string[] }).path;
  assert.equal(path, ['nsc-r', 'nsmgr-0', 'forwarder-0', 'nsmgr-1', 'forwarder-1', 'nse-r']);

  // Request: a VXLAN device in each pod, one VNI, the underlay addresses, port 4789, the socket in the node.
  const a = only(ns.nsc);
  const b = only(ns.nse);
  assert.is(a.ifname, 'nsm-1');
  assert.is(a.linkinfo?.info_kind, 'vxlan');
  assert.is(b.linkinfo?.info_kind, 'vxlan');
  assert.is(a.linkinfo?.info_data?.id, b.linkinfo?.info_data?.id, 'one VNI');
  assert.equal([a.linkinfo?.info_data?.local, a.linkinfo?.info_data?.remote], [...underlay]);
  assert.equal([b.linkinfo?.info_data?.local, b.linkinfo?.info_data?.remote], [underlay[1], underlay[0]]);
  assert.is(a.linkinfo?.info_data?.port, 4789);
  assert.equal(globalAddresses(ns.nsc), ['172.16.9.101']);
  assert.equal(globalAddresses(ns.nse), ['172.16.9.100']);
  if (hasSs) {
    assert.match(udp(ns.node0), ':4789', 'the UDP socket is in node 0');
    assert.match(udp(ns.node1), ':4789', 'the UDP socket is in node 1');
    assert.not.match(udp(ns.nsc), ':4789', 'not in the pod');
  }

  // Ping both ways, over the underlay.
  const sentBefore = rows(ns.node0).find((r) => r.ifname === 'ul')?.stats64?.tx.packets ?? 0;
  ping(ns.nsc, '172.16.9.100');
  ping(ns.nse, '172.16.9.101');
  const sentAfter = rows(ns.node0).find((r) => r.ifname === 'ul')?.stats64?.tx.packets ?? 0;
  assert.ok(sentAfter > sentBefore, 'the packets went over the underlay');

  // Refresh: the client re-requests; the devices stay (same ifindex) and still carry traffic.
  const refreshes = watchRefreshes('nsc-r-0');
  try {
    await until('two refreshes', () => refreshes.count() >= 2, 10_000);
  } finally {
    refreshes.close();
  }
  assert.is(only(ns.nsc).ifindex, a.ifindex, 'refresh keeps the NSC-side device');
  assert.is(only(ns.nse).ifindex, b.ifindex, 'refresh keeps the NSE-side device');
  ping(ns.nsc, '172.16.9.100');

  // Close (the client stops): every interface, address and route goes.
  nsc.signal('SIGTERM');
  assert.equal(await nsc.exitWithin(5_000), { code: 0, signal: null });
  for (const pod of [ns.nsc, ns.nse]) {
    assert.equal(names(pod), ['lo'], `${pod} has only lo`);
    assert.equal(globalAddresses(pod), [], `${pod} has no address`);
    assert.equal(routes(pod), [], `${pod} has no route`);
  }
  for (const node of [ns.node0, ns.node1]) {
    assert.equal(names(node).sort(), ['lo', 'ul'], `${node} has only lo and the underlay`);
    if (hasSs) assert.not.match(udp(node), ':4789', `no VXLAN socket left in ${node}`);
  }

  const rest = [nse, ...forwarders, ...nsmgrs, registry];
  for (const p of rest) p.signal('SIGTERM');
  for (const p of rest) assert.equal(await p.exitWithin(5_000), { code: 0, signal: null }, p.label);
  for (const p of started) {
    const bad = p.lines.filter((l) => l.level === 'error' || l.level === 'raw');
    assert.equal(bad, [], `${p.label} logged errors`);
  }
  const heals = nsc.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('heal:'));
  assert.equal(heals, [], 'the connection stayed up (no heal)');
  assert.equal(processesWithEnv(MARK, mark), [], 'no process of the test is left (ip channels included)');

  for (const n of all) ip('netns', 'del', n);
  const listed = ip('netns', 'list');
  assert.equal(
    all.filter((n) => listed.includes(n)),
    [],
    'the namespaces are gone',
  );
  rmSync(dir, { recursive: true, force: true });
  assert.not.ok(existsSync(dir), 'the socket dir is gone');
};

if (setUp()) {
  remote('VXLAN between the nodes: ping both ways, refresh keeps it, close removes everything', body);
} else {
  remote.skip('VXLAN between two nodes (skipped: needs root and `ip netns`)', body);
}

remote.run();
