/**
 * The demo's network namespaces: the pods (`nsm-demo-<id>-nsc`, `-nse`) and, for two nodes, the nodes
 * (`-node0`, `-node1`) joined by an underlay veth with addresses from 172.30.0.0/30. Only namespaces made here
 * get addresses, so no demo traffic leaves them. Also what is left of them after a stop.
 * @module
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs `ip <args>`; resolves stdout. */
export async function ip(...args: string[]): Promise<string> {
  return (await exec('ip', args, { timeout: 10_000 })).stdout;
}

/** The underlay: an address per node, the interface name in each node namespace. */
export const UNDERLAY = { name: 'underlay', addresses: ['172.30.0.1', '172.30.0.2'], prefix: 30 } as const;

export interface Topology {
  /** `nsm-demo-<id>`: every namespace name starts with it. */
  readonly prefix: string;
  readonly nsc: string;
  readonly nse: string;
  /** Node namespaces (two nodes), or none (one node: the nodes' components share this namespace). */
  readonly nodes: readonly string[];
  /** Every namespace made, in the order made. */
  readonly namespaces: readonly string[];
}

/** The namespaces a run with `id` and `nodes` nodes makes (not made yet). */
export function plannedTopology(id: string, nodes: number): Topology {
  const prefix = `nsm-demo-${id}`;
  const nodeNames = nodes > 1 ? [`${prefix}-node0`, `${prefix}-node1`] : [];
  const nsc = `${prefix}-nsc`;
  const nse = `${prefix}-nse`;
  return { prefix, nsc, nse, nodes: nodeNames, namespaces: [...nodeNames, nsc, nse] };
}

/** Makes the namespaces (loopback up) and the underlay; on failure removes what it made and throws. */
export async function makeTopology(topology: Topology): Promise<void> {
  const made: string[] = [];
  try {
    for (const ns of topology.namespaces) {
      await ip('netns', 'add', ns);
      made.push(ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    const [node0, node1] = topology.nodes;
    if (node0 === undefined || node1 === undefined) return;
    const { name, addresses, prefix } = UNDERLAY;
    await ip(
      'link',
      'add',
      'name',
      name,
      'netns',
      node0,
      'type',
      'veth',
      'peer',
      'name',
      name,
      'netns',
      node1,
    );
    for (const [i, node] of [node0, node1].entries()) {
      await ip('-n', node, 'addr', 'add', `${addresses[i]}/${prefix}`, 'dev', name);
      await ip('-n', node, 'link', 'set', name, 'up');
    }
  } catch (error) {
    for (const ns of made) await ip('netns', 'del', ns).catch(() => undefined);
    throw error;
  }
}

interface LinkRow {
  readonly ifname: string;
  readonly ifalias?: string;
}

/** Links in `ns` other than loopback and the underlay, as `<ns>:<name>[ (alias)]`. */
async function extraLinks(ns: string): Promise<string[]> {
  const rows = JSON.parse(await ip('-n', ns, '-j', 'link', 'show')) as LinkRow[];
  return rows
    .filter((l) => l.ifname !== 'lo' && l.ifname !== UNDERLAY.name)
    .map((l) => `${ns}:${l.ifname}${l.ifalias === undefined ? '' : ` (${l.ifalias})`}`);
}

/** Links left in the namespaces (after the client closed its connection there should be none). */
export async function leftLinks(topology: Topology): Promise<string[]> {
  const found = await Promise.all(topology.namespaces.map((ns) => extraLinks(ns).catch(() => [])));
  return found.flat();
}

/** `ip netns` names that start with `prefix`. */
export async function namespacesNamed(prefix: string): Promise<string[]> {
  const listing = await ip('netns', 'list').catch(() => '');
  return listing
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** Deletes the namespaces (the underlay veth goes with them); resolves how many were deleted. */
export async function removeTopology(topology: Topology): Promise<number> {
  let removed = 0;
  for (const ns of topology.namespaces) {
    if (
      await ip('netns', 'del', ns).then(
        () => true,
        () => false,
      )
    )
      removed++;
  }
  return removed;
}
