/**
 * What the kernel says about the connection: the links with an `nsm-` alias in each pod (kind, VXLAN
 * parameters, addresses, state) and ping from one pod to the other.
 * @module
 */
import { execFile } from 'node:child_process';
import { ip } from './topology.js';

/** A link the forwarder made in a pod. */
export interface PodLink {
  readonly name: string;
  readonly ifindex: number;
  readonly alias: string;
  readonly kind: string;
  readonly up: boolean;
  readonly mtu: number;
  readonly addresses: readonly string[];
  readonly vxlan?: {
    readonly vni: number;
    readonly local: string;
    readonly remote: string;
    readonly port: number;
  };
}

interface Row {
  ifindex: number;
  ifname: string;
  ifalias?: string;
  mtu: number;
  flags?: string[];
  operstate?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; remote?: string; port?: number };
  };
  addr_info?: { local: string; prefixlen: number; scope?: string }[];
}

function podLink(row: Row): PodLink {
  const data = row.linkinfo?.info_data;
  const kind = row.linkinfo?.info_kind ?? 'unknown';
  const vxlan =
    kind === 'vxlan' && data !== undefined
      ? { vni: data.id ?? 0, local: data.local ?? '', remote: data.remote ?? '', port: data.port ?? 0 }
      : undefined;
  return {
    name: row.ifname,
    ifindex: row.ifindex,
    alias: row.ifalias ?? '',
    kind,
    up: (row.flags ?? []).includes('UP') && row.operstate !== 'DOWN',
    mtu: row.mtu,
    addresses: (row.addr_info ?? [])
      .filter((a) => a.scope !== 'link')
      .map((a) => `${a.local}/${a.prefixlen}`),
    ...(vxlan === undefined ? {} : { vxlan }),
  };
}

/** The links with an `nsm-` alias in `netns` (none when it can't be read). */
export async function podLinks(netns: string): Promise<PodLink[]> {
  try {
    const rows = JSON.parse(await ip('-n', netns, '-d', '-j', 'addr', 'show')) as Row[];
    return rows.filter((r) => r.ifalias?.startsWith('nsm-') === true).map(podLink);
  } catch {
    return [];
  }
}

export interface PingResult {
  readonly sent: number;
  readonly received: number;
  /** Average round trip of the replies, ms. */
  readonly avgMs: number | undefined;
  /** Why nothing could be sent (ping missing, bad namespace), if so. */
  readonly error?: string;
}

/** `ping -c <count>` from inside `netns` to `address` (an address with or without `/len`). */
export function ping(netns: string, address: string, count: number): Promise<PingResult> {
  const target = address.split('/')[0] ?? address;
  const args = ['netns', 'exec', netns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', target];
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 5_000 + count * 1_000 }, (error, stdout, stderr) => {
      const counts = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
      const rtt = /= [\d.]+\/([\d.]+)\//.exec(stdout);
      if (counts === null) {
        const why = (stderr || (error?.message ?? 'no output')).trim().split('\n')[0] ?? '';
        resolve({ sent: 0, received: 0, avgMs: undefined, error: why });
        return;
      }
      resolve({
        sent: Number(counts[1]),
        received: Number(counts[2]),
        avgMs: rtt === null ? undefined : Number(rtt[1]),
      });
    });
  });
}
