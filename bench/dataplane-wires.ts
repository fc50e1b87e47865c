/**
 * The wires of dataplane-throughput.ts: hand-made veth and VXLAN wires between fresh namespaces, and one
 * `iperf3` TCP test over a wire.
 */
import { spawn } from 'node:child_process';
import { ip, type Lab, underlay, UNDERLAY } from './dataplane-lib.js';
import { round } from './lib.js';

const SECONDS = 5;

/** A wire: the pod that runs the client (NSC side), the pod that runs the server and the server's address. */
export interface Wire {
  readonly client: string;
  readonly server: string;
  readonly address: string;
  readonly device: [string, string];
}

/** One `iperf3` run in Gbit/s; tried again once when it fails (iperf3 3.12 -R hung once under load). */
export async function iperf(wire: Wire, reverse: boolean): Promise<number> {
  try {
    return await iperfOnce(wire, reverse);
  } catch (error) {
    console.log(
      `iperf3 failed, trying again: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return iperfOnce(wire, reverse);
  }
}

/** A one-off server in `wire.server`, the client in `wire.client`. */
async function iperfOnce(wire: Wire, reverse: boolean): Promise<number> {
  const serverArgs = ['-s', '-1', '--forceflush', '--idle-timeout', '30', '-B', wire.address];
  const server = spawn('ip', ['netns', 'exec', wire.server, 'iperf3', ...serverArgs]);
  try {
    let said = '';
    await new Promise<void>((resolve, reject) => {
      const take = (chunk: Buffer): void => void ((said += String(chunk)).includes('listening') && resolve());
      server.stdout.on('data', take);
      server.stderr.on('data', take);
      server.once('exit', (code) => reject(new Error(`iperf3 server exited with ${code}: ${said}`)));
    });
    const args = ['-c', wire.address, '-t', String(SECONDS), '-O', '1', '-J'];
    if (reverse) args.push('-R', '--rcv-timeout', '15000'); // the receiving side gives up on a stall
    const report = JSON.parse(await ip('netns', 'exec', wire.client, 'iperf3', ...args)) as {
      error?: string;
      end: { sum_received?: { bits_per_second: number } };
    };
    if (report.end.sum_received === undefined) throw new Error(`iperf3: ${report.error ?? 'no result'}`);
    return round(report.end.sum_received.bits_per_second / 1e9, 2);
  } finally {
    server.kill();
  }
}

export const mtu = async (ns: string, dev: string): Promise<number> =>
  (JSON.parse(await ip('-n', ns, '-j', 'link', 'show', 'dev', dev)) as { mtu: number }[])[0]?.mtu ?? NaN;

/** Two pods joined by a hand-made veth (or, with `vxlan`, by hand-made VXLAN devices over an underlay). */
export async function bareWire(lab: Lab, name: string, k: number, vxlan: boolean): Promise<Wire> {
  const [a, b] = [await lab.add(`${name}-a`), await lab.add(`${name}-b`)];
  if (!vxlan) {
    await ip('link', 'add', 'v0', 'netns', a, 'type', 'veth', 'peer', 'name', 'v0', 'netns', b);
  } else {
    const [nodeA, nodeB] = [await lab.add(`${name}-nodeA`), await lab.add(`${name}-nodeB`)];
    await underlay(nodeA, nodeB);
    for (const [node, pod, i] of [[nodeA, a, 0] as const, [nodeB, b, 1] as const]) {
      const [local, remote] = [UNDERLAY[i], UNDERLAY[1 - i]!];
      await ip(
        ...['-n', node, 'link', 'add', 'v0', 'netns', pod, 'mtu', '1450', 'type', 'vxlan', 'id', '4242'],
        ...['local', local, 'remote', remote, 'dstport', '4789'],
      );
    }
  }
  for (const [pod, host] of [
    [a, 2],
    [b, 1],
  ] as const) {
    await ip('-n', pod, 'addr', 'add', `172.29.${k}.${host}/30`, 'dev', 'v0');
    await ip('-n', pod, 'link', 'set', 'v0', 'up');
  }
  return { client: a, server: b, address: `172.29.${k}.1`, device: [a, 'v0'] };
}
