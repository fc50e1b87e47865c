/**
 * The demo's processes: a registry, an nsmgr and a forwarder per node, the icmp-responder endpoint and the
 * client, each a separate `nsm` process, talking over unix sockets in one temp dir (filesystem sockets work
 * across network namespaces). The client and the endpoint run inside their pods' namespaces, so the netns URL
 * in their KERNEL mechanisms (`/proc/<pid>/ns/net`) is the pod. With two nodes, each node's nsmgr and
 * forwarder run in the node's namespace (the forwarder's VXLAN sockets live there), and the nsmgrs also
 * listen on the underlay. The registry (and, on one node, everything but the pods) runs in this namespace.
 * Started in three stages, each waiting for its processes' `startup completed` line.
 * @module
 */
import { join } from 'node:path';
import { DemoChild, type ChildSpec, type LogLine } from './child.js';
import { UNDERLAY, type Topology } from './topology.js';

export const SERVICE = 'icmp-responder';
/** The client's interface name. */
const NSC_INTERFACE = 'nsm-1';
/** The client's connection id (`<NSM_NAME>-0`). */
export const NSC_CONNECTION_ID = 'nsc-0';
const CIDR = '172.16.0.0/24';
/**
 * The client's token lifetime: short enough that the live view shows refreshes (every ~6 s: a fifth of it).
 * It must exceed the request timeout by a margin: an nsmgr closes a connection the caller's request timeout
 * before its token expires.
 */
const NSC_TOKEN_LIFETIME = '30s';
const NSC_REQUEST_TIMEOUT = '5s';

export interface MeshPlan {
  readonly nodes: number;
  /** `kernel`: pods are namespaces and the forwarders wire them; `record`: nothing is touched. */
  readonly dataplane: 'kernel' | 'record';
  /** Where the sockets go. */
  readonly dir: string;
  /** The namespaces (kernel data plane only). */
  readonly topology?: Topology | undefined;
}

const sock = (plan: MeshPlan, name: string): string => `unix://${join(plan.dir, `${name}.sock`)}`;

/** The nsmgr the client talks to (node 0). */
export const clientNsmgrUrl = (plan: MeshPlan): string => sock(plan, 'nsmgr-0');

/** The nsmgrs' port on the underlay (each node namespace is fresh, so it is always free). */
const NSMGR_PORT = 5001;

/** The node namespace of node `i` (two nodes), or undefined (one node: this namespace). */
const nodeNetns = (plan: MeshPlan, i: number): string | undefined =>
  plan.dataplane === 'kernel' ? plan.topology?.nodes[i] : undefined;

/**
 * Node `i`'s nsmgr listens on its unix socket and, on a node namespace, on the underlay too: a unix URL is a
 * local one, and forwarders offer only local mechanisms (KERNEL) to a next hop with a local URL, so the URL
 * it registers endpoints under (its first tcp one) must be a tcp URL for another node's forwarder to
 * offer VXLAN.
 */
function nsmgrListenOn(plan: MeshPlan, i: number): string {
  const unix = sock(plan, `nsmgr-${i}`);
  const underlay = UNDERLAY.addresses[i];
  if (nodeNetns(plan, i) === undefined || underlay === undefined) return unix;
  return `${unix},tcp://${underlay}:${NSMGR_PORT}`;
}

function forwarderEnv(plan: MeshPlan, node: number): Record<string, string> {
  const env: Record<string, string> = {
    NSM_NAME: `forwarder-${node}`,
    NSM_CONNECT_TO: sock(plan, `nsmgr-${node}`),
    NSM_LISTEN_ON: sock(plan, `forwarder-${node}`),
    NSM_DATAPLANE: plan.dataplane,
  };
  if (plan.dataplane === 'record') return env;
  // It runs in its node's namespace: VXLAN sockets go there. One node: no VXLAN is ever made, but the kernel
  // data plane wants a tunnel IP.
  const underlay = nodeNetns(plan, node) === undefined ? undefined : UNDERLAY.addresses[node];
  return { ...env, NSM_TUNNEL_IP: underlay ?? '127.0.0.1' };
}

/** The processes, stage by stage: registry and nsmgrs; forwarders and the endpoint; the client. */
export function meshStages(plan: MeshPlan): ChildSpec[][] {
  const nodes = [...Array(plan.nodes).keys()];
  const last = plan.nodes - 1;
  const pods = plan.dataplane === 'kernel' ? plan.topology : undefined;
  const common = { NSM_LOG_LEVEL: 'INFO' };
  const spec = (label: string, command: string, env: Record<string, string>, netns?: string): ChildSpec => ({
    label,
    command,
    env: { ...common, ...env },
    netns,
  });
  return [
    [
      spec('registry', 'registry', { NSM_LISTEN_ON: sock(plan, 'registry') }),
      ...nodes.map((i) =>
        spec(
          `nsmgr-${i}`,
          'nsmgr',
          {
            NSM_NAME: `nsmgr-${i}`,
            NSM_LISTEN_ON: nsmgrListenOn(plan, i),
            NSM_REGISTRY_URL: sock(plan, 'registry'),
          },
          nodeNetns(plan, i),
        ),
      ),
    ],
    [
      ...nodes.map((i) => spec(`forwarder-${i}`, 'forwarder', forwarderEnv(plan, i), nodeNetns(plan, i))),
      spec(
        'nse',
        'nse-icmp-responder',
        {
          NSM_NAME: 'nse',
          NSM_CONNECT_TO: sock(plan, `nsmgr-${last}`),
          NSM_LISTEN_ON: sock(plan, 'nse'),
          NSM_SERVICE_NAMES: SERVICE,
          NSM_CIDR_PREFIX: CIDR,
        },
        pods?.nse,
      ),
    ],
    [
      spec(
        'nsc',
        'nsc',
        {
          NSM_NAME: 'nsc',
          NSM_CONNECT_TO: clientNsmgrUrl(plan),
          NSM_NETWORK_SERVICES: `kernel://${SERVICE}/${NSC_INTERFACE}`,
          NSM_MAX_TOKEN_LIFETIME: NSC_TOKEN_LIFETIME,
          NSM_REQUEST_TIMEOUT: NSC_REQUEST_TIMEOUT,
        },
        pods?.nsc,
      ),
    ],
  ];
}

/** What the client logged about its connection (`describeConnection` in commands/nsc.ts). */
export interface Connected {
  readonly id: string;
  readonly path: readonly string[];
  readonly mechanism: string;
  readonly interface: string;
  readonly srcIps: readonly string[];
  readonly dstIps: readonly string[];
  /** How long the client's request took, when it said so. */
  readonly requestMs: number | undefined;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** The client's `connected to ...` line, read. */
export function connectedFrom(line: LogLine): Connected {
  const c = (typeof line['connection'] === 'object' ? line['connection'] : {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    id: text(c['id']),
    path: strings(c['path']),
    mechanism: text(c['mechanism']),
    interface: text(c['interface']),
    srcIps: strings(c['srcIps']),
    dstIps: strings(c['dstIps']),
    requestMs: typeof line['requestMs'] === 'number' ? line['requestMs'] : undefined,
  };
}

/** Progress of the start, for the caller to print. */
export type StartEvent =
  | { readonly kind: 'started'; readonly child: DemoChild }
  | {
      readonly kind: 'ready';
      readonly child: DemoChild;
      readonly ms: number;
      /** The client's connection (the client is ready when connected). */
      readonly connected?: Connected;
    };

/** How long a process may take to become ready (the client: to connect). */
const READY_TIMEOUT_MS = 15_000;

/**
 * Starts the stages in order; every process started is pushed to `children` at once, so the caller can stop
 * them whatever happens. Resolves the client's connection; rejects on the first process that fails.
 */
export async function startMesh(
  stages: readonly (readonly ChildSpec[])[],
  children: DemoChild[],
  report: (event: StartEvent) => void,
  signal: AbortSignal,
): Promise<Connected> {
  let connected: Connected | undefined;
  for (const stage of stages) {
    if (signal.aborted) throw new Error('interrupted');
    const begun = performance.now();
    const started = stage.map((spec) => {
      const child = new DemoChild(spec);
      children.push(child);
      report({ kind: 'started', child });
      return child;
    });
    await Promise.all(
      started.map(async (child) => {
        if (child.label !== 'nsc') {
          await child.waitForMessage('startup completed in ', READY_TIMEOUT_MS, signal);
          report({ kind: 'ready', child, ms: performance.now() - begun });
          return;
        }
        const line = await child.waitForMessage(`connected to ${SERVICE}`, READY_TIMEOUT_MS, signal);
        connected = connectedFrom(line);
        report({ kind: 'ready', child, ms: performance.now() - begun, connected });
      }),
    );
  }
  if (connected === undefined) throw new Error('the client never connected');
  return connected;
}
