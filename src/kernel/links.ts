/**
 * Link operations over `ip` channels: veth pairs and VXLAN devices created directly in their final
 * namespaces (no netns move: a move costs ~17 ms of RCU time under rtnl_lock, field-notes §4.1), listing and
 * deletion. Configuration is in `link-config.ts`.
 *
 * `ip` keeps a name → ifindex cache for the life of a batch process and drops an entry only when that process
 * changes the link itself. A link deleted or re-created from elsewhere (a veth peer deleted from the other
 * namespace, a pod re-creating `nsm-1`) leaves a stale entry: `link set dev X` then targets the old ifindex,
 * and `link show dev X` for a missing X makes `ip` exit. So every operation that names a link starts with a
 * full `link show` in the same write (a dump refreshes the cache for every link that exists), and links are
 * looked up in that dump rather than with `link show dev`.
 * @module
 */
import { isNotFound } from './errors.js';
import { checkIfName, checkIp, checkUint, mtuArgs } from './args.js';
import type { IpRunner } from './ip-channel.js';

/** A link as `ip -json link show` reports it. */
export interface LinkInfo {
  readonly ifindex: number;
  readonly name: string;
  /** `ifalias`, undefined when unset. */
  readonly alias: string | undefined;
  readonly mtu: number;
  /** Administratively up. */
  readonly up: boolean;
  /** `link_index`: the peer's ifindex for a veth (in the peer's namespace). */
  readonly peerIfindex: number | undefined;
}

/** Parses `ip -json link show` output. */
export function parseLinks(json: string): LinkInfo[] {
  if (json.trim() === '') return [];
  const rows = JSON.parse(json) as Record<string, unknown>[];
  return rows.map((row) => ({
    ifindex: Number(row['ifindex']),
    name: String(row['ifname']),
    alias: typeof row['ifalias'] === 'string' ? row['ifalias'] : undefined,
    mtu: Number(row['mtu']),
    up: Array.isArray(row['flags']) && row['flags'].includes('UP'),
    peerIfindex: typeof row['link_index'] === 'number' ? row['link_index'] : undefined,
  }));
}

/** The dump that refreshes `ip`'s name cache; send it first in a write that names links. */
export const LIST_LINKS: readonly string[] = ['link', 'show'];

/** Every link in the channel's namespace. */
export async function listLinks(channel: IpRunner): Promise<LinkInfo[]> {
  return parseLinks(await channel.run(LIST_LINKS));
}

/** The link named `name`, or undefined when there is none. */
export async function showLink(channel: IpRunner, name: string): Promise<LinkInfo | undefined> {
  checkIfName(name);
  return (await listLinks(channel)).find((link) => link.name === name);
}

/**
 * A veth pair with both ends created in place: `name` in the channel's namespace, `peerName` in the one
 * `peerNetnsPath` opens (`ip link add name A [mtu M] type veth peer name B [mtu M] netns <path>`).
 */
export async function createVeth(
  channel: IpRunner,
  options: {
    readonly name: string;
    readonly peerName: string;
    readonly peerNetnsPath: string;
    readonly mtu?: number;
  },
): Promise<void> {
  const { name, peerName, peerNetnsPath, mtu } = options;
  await channel.run([
    ...['link', 'add', 'name', checkIfName(name), ...mtuArgs(mtu), 'type', 'veth'],
    ...['peer', 'name', checkIfName(peerName), ...mtuArgs(mtu), 'netns', peerNetnsPath],
  ]);
}

export interface VxlanOptions {
  readonly name: string;
  /** Where the device goes (the pod); its UDP socket stays in the channel's namespace (the node). */
  readonly netnsPath: string;
  readonly vni: number;
  readonly local: string;
  readonly remote: string;
  /** UDP port used to send and to listen (Linux has one). */
  readonly dstPort: number;
  readonly mtu?: number;
}

/** `ip link add name X netns <pod> [mtu M] type vxlan id VNI local A remote B dstport P`, from the node. */
export async function createVxlan(node: IpRunner, options: VxlanOptions): Promise<void> {
  const { name, netnsPath, vni, local, remote, dstPort, mtu } = options;
  await node.run([
    ...['link', 'add', 'name', checkIfName(name), 'netns', netnsPath, ...mtuArgs(mtu), 'type', 'vxlan'],
    ...['id', checkUint('VNI', vni, 1, 0xffffff), 'local', checkIp(local), 'remote', checkIp(remote)],
    ...['dstport', checkUint('UDP port', dstPort, 1, 0xffff)],
  ]);
}

/** Deletes the link (for a veth, both ends); false when it did not exist. */
export async function deleteLink(channel: IpRunner, name: string): Promise<boolean> {
  try {
    await channel.runAll([LIST_LINKS, ['link', 'del', 'dev', checkIfName(name)]]);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Deletes the link only if its alias is `alias` (so a link someone else now owns is left alone). */
export async function deleteOwnedLink(channel: IpRunner, name: string, alias: string): Promise<boolean> {
  const link = await showLink(channel, name);
  if (link === undefined || link.alias !== alias) return false;
  try {
    await channel.run(['link', 'del', 'dev', name]); // the dump above refreshed the cache
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
