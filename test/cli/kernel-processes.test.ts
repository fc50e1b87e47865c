/**
 * The kernel data plane through real processes: two network namespaces as pods, the endpoint in one and the
 * client in the other, registry, nsmgr and a `--dataplane kernel` forwarder in this one. The client's
 * connection is a veth that carries pings both ways; closing it removes the interfaces. Needs root and
 * `ip netns`; skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NsmProcess } from './helpers/processes.js';

const kernel = suite('cli: kernel data plane between two namespaces');
const id = randomUUID().slice(0, 8);
const pods = [`nsm-cli-nsc-${id}`, `nsm-cli-nse-${id}`] as const;
const dir = mkdtempSync(join(tmpdir(), 'nsm-kernel-e2e-'));
const sock = (name: string): string => `unix://${join(dir, `${name}.sock`)}`;
const started: NsmProcess[] = [];

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

/** True when this process may make network namespaces (root with `ip netns`). */
function canMakeNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    ip('netns', 'add', pods[0]);
    ip('netns', 'add', pods[1]);
    for (const pod of pods) ip('-n', pod, 'link', 'set', 'lo', 'up');
    return true;
  } catch {
    return false;
  }
}

function start(
  label: string,
  args: readonly string[],
  env: Record<string, string>,
  pod?: string,
): NsmProcess {
  const prefix = pod === undefined ? [] : ['ip', 'netns', 'exec', pod];
  const child = new NsmProcess(label, args, { ...env, NSM_LOG_LEVEL: 'INFO' }, prefix);
  started.push(child);
  return child;
}

const startup = (p: NsmProcess): Promise<unknown> => p.waitForMessage('startup completed in ');
const links = (pod: string): string[] =>
  ip('-n', pod, '-o', 'link', 'show')
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'lo');
const ping = (pod: string, address: string): void =>
  void execFileSync('ip', ['netns', 'exec', pod, 'ping', '-c', '1', '-W', '2', address], {
    encoding: 'utf8',
  });

kernel.after(() => {
  for (const child of started) child.kill();
  for (const pod of pods) {
    try {
      ip('netns', 'del', pod);
    } catch {
      // not made, or already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const body = async (): Promise<void> => {
  const registry = start('registry', ['registry'], { NSM_LISTEN_ON: sock('registry') });
  const nsmgr = start('nsmgr', ['nsmgr'], {
    NSM_NAME: 'nsmgr-k',
    NSM_LISTEN_ON: sock('nsmgr'),
    NSM_REGISTRY_URL: sock('registry'),
  });
  await Promise.all([startup(registry), startup(nsmgr)]);
  const forwarder = start('forwarder', ['forwarder'], {
    NSM_NAME: 'forwarder-k',
    NSM_CONNECT_TO: sock('nsmgr'),
    NSM_LISTEN_ON: sock('forwarder'),
    NSM_TUNNEL_IP: '127.0.0.1',
  });
  const nse = start(
    'nse',
    ['nse-icmp-responder'],
    { NSM_NAME: 'nse-k', NSM_CONNECT_TO: sock('nsmgr'), NSM_CIDR_PREFIX: '172.16.9.100/31' },
    pods[1],
  );
  await Promise.all([startup(forwarder), startup(nse)]);
  const nsc = start(
    'nsc',
    ['nsc'],
    {
      NSM_NAME: 'nsc-k',
      NSM_CONNECT_TO: sock('nsmgr'),
      NSM_NETWORK_SERVICES: 'kernel://icmp-responder/nsm-1',
    },
    pods[0],
  );
  await nsc.waitForMessage('connected to icmp-responder');
  assert.equal(links(pods[0]), ['nsm-1']);
  assert.is(links(pods[1]).length, 1);
  ping(pods[0], '172.16.9.100');
  ping(pods[1], '172.16.9.101');

  nsc.signal('SIGTERM');
  assert.equal(await nsc.exitWithin(5_000), { code: 0, signal: null });
  assert.equal(links(pods[0]), [], 'the client side is left');
  assert.equal(links(pods[1]), [], 'the endpoint side is left');
  for (const p of [nse, forwarder, nsmgr, registry]) p.signal('SIGTERM');
  for (const p of [nse, forwarder, nsmgr, registry]) {
    assert.equal(await p.exitWithin(5_000), { code: 0, signal: null }, p.label);
  }
  for (const p of started) {
    assert.equal(
      p.lines.filter((l) => l.level === 'error' || l.level === 'raw'),
      [],
      `${p.label} logged errors`,
    );
  }
};

if (canMakeNetns()) {
  kernel('a veth between the pods: ping both ways, and nothing left after close', body);
} else {
  kernel.skip('a veth between the pods (skipped: needs root and `ip netns`)', body);
}

kernel.run();
