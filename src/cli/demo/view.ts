/**
 * The live view's text: the path, the mechanism (a veth, or VXLAN between the nodes), the interfaces and
 * addresses in each pod, the last ping, refreshes and the processes.
 * @module
 */
import type { DemoChild } from './child.js';
import type { Connected } from './mesh.js';
import type { PingResult, PodLink } from './probe.js';
import type { Topology } from './topology.js';
import type { ConnectionWatch } from './watch.js';

export interface ViewState {
  readonly nodes: number;
  readonly topology: Topology | undefined;
  readonly connected: Connected;
  readonly watch: ConnectionWatch;
  readonly nscLinks: readonly PodLink[];
  readonly nseLinks: readonly PodLink[];
  readonly ping: PingResult | undefined;
  readonly pings: { readonly sent: number; readonly received: number };
  readonly children: readonly DemoChild[];
  readonly upMs: number;
}

export const NO_ROOT = 'no root: the data plane is recorded, not wired (no interfaces, no ping)';

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
const pad = (label: string): string => label.padEnd(10);

/** `nsc → nsmgr-0 → forwarder-0 → nse`, from the nsmgr's view when it has one. */
export function pathOf(state: Pick<ViewState, 'watch' | 'connected'>): string {
  const segments = state.watch.connection?.path?.pathSegments.map((s) => s.name);
  return (segments ?? state.connected.path).join(' → ');
}

/** What carries the packets: a veth pair on one node, VXLAN between two. */
export function mechanismOf(nscLinks: readonly PodLink[], nseLinks: readonly PodLink[]): string {
  const [a] = nscLinks;
  const [b] = nseLinks;
  if (a === undefined || b === undefined) return 'KERNEL (no interfaces yet)';
  if (a.vxlan !== undefined) {
    const { vni, local, remote, port } = a.vxlan;
    return `KERNEL → VXLAN vni ${vni} (${local} → ${remote}, udp ${port}) → KERNEL`;
  }
  return `KERNEL ↔ KERNEL: one ${a.kind} pair, an end in each pod`;
}

function linkText(link: PodLink | undefined): string {
  if (link === undefined) return '(no interface)';
  const state = link.up ? 'up' : 'DOWN';
  const addresses = link.addresses.length === 0 ? '(no address)' : link.addresses.join(', ');
  return `${link.name}  ${addresses}  (${link.kind}, ifindex ${link.ifindex}, mtu ${link.mtu}, ${state})`;
}

export function pingText(ping: PingResult | undefined, to: string): string {
  if (ping === undefined) return `nsc → ${to}: …`;
  if (ping.error !== undefined) return `nsc → ${to}: ${ping.error}`;
  if (ping.received === 0) return `nsc → ${to}: no reply`;
  return `nsc → ${to}: ${ping.avgMs?.toFixed(3) ?? '?'} ms`;
}

/** How many times the client logged that it heals the connection. */
function heals(children: readonly DemoChild[]): number {
  const nsc = children.find((c) => c.label === 'nsc');
  return nsc?.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('heal:')).length ?? 0;
}

function refreshText(watch: ConnectionWatch, children: readonly DemoChild[]): string {
  const healed = heals(children);
  const healText = healed === 0 ? '' : `; the client healed it ${healed} time${healed === 1 ? '' : 's'}`;
  if (watch.error !== undefined) return `(no monitor stream: ${watch.error})${healText}`;
  if (watch.closed) return `the connection was closed${healText}`;
  if (watch.updates === 0) return `none yet (the client refreshes every ~6 s)${healText}`;
  const ago =
    watch.lastUpdateAt === undefined ? '' : `, last ${seconds(Date.now() - watch.lastUpdateAt)} ago`;
  return `${watch.updates} time${watch.updates === 1 ? '' : 's'}${ago}${healText}`;
}

function processesText(children: readonly DemoChild[]): string {
  const down = children.filter((c) => !c.running).map((c) => c.label);
  const list = children.map((c) => `${c.label} ${c.pid}`).join(' · ');
  return down.length === 0 ? `${list}` : `${list}  EXITED: ${down.join(', ')}`;
}

/** The whole view, one line per item. */
export function renderView(state: ViewState): string[] {
  const { connected, topology } = state;
  const where = state.nodes > 1 ? 'remote (2 nodes)' : 'local (1 node)';
  const plane = topology === undefined ? 'recorded data plane' : 'kernel data plane';
  const dst = connected.dstIps[0]?.split('/')[0] ?? '?';
  const header = `nsm demo · ${where} · ${plane} · up ${seconds(state.upMs)} · Ctrl-C to stop`;
  const lines = [header, `${pad('path')} ${pathOf(state)}`];
  if (topology === undefined) {
    lines.push(
      `${pad('mechanism')} ${connected.mechanism || 'KERNEL'} (recorded by the forwarder, nothing wired)`,
      `${pad('addresses')} nsc ${connected.srcIps.join(', ')}  ↔  nse ${connected.dstIps.join(', ')}`,
      NO_ROOT,
    );
  } else {
    const ok = state.pings.sent === 0 ? '' : `   (${state.pings.received} of ${state.pings.sent} replied)`;
    lines.push(
      `${pad('mechanism')} ${mechanismOf(state.nscLinks, state.nseLinks)}`,
      `${pad('nsc pod')} ${topology.nsc}  ${linkText(state.nscLinks[0])}`,
      `${pad('nse pod')} ${topology.nse}  ${linkText(state.nseLinks[0])}`,
      `${pad('ping')} ${pingText(state.ping, dst)}${ok}`,
    );
  }
  lines.push(`${pad('refreshed')} ${refreshText(state.watch, state.children)}`);
  lines.push(`${pad('processes')} ${processesText(state.children)}`);
  return lines;
}

/** What changes the view's shape (for plain output: the whole view again only when this changes). */
export function viewKey(state: ViewState): string {
  const links = [...state.nscLinks, ...state.nseLinks].map(
    (l) => `${l.name}/${l.ifindex}/${l.addresses.join()}`,
  );
  return JSON.stringify([pathOf(state), links, state.children.map((c) => c.running)]);
}

/** One line per second for plain output. */
export function tickLine(state: ViewState): string {
  const dst = state.connected.dstIps[0]?.split('/')[0] ?? '?';
  const up = `[${seconds(state.upMs)}]`;
  const refreshed = `refreshed ${state.watch.updates}×`;
  if (state.topology === undefined) return `${up} connected (recorded data plane), ${refreshed}`;
  return `${up} ping ${pingText(state.ping, dst)}, ${refreshed}`;
}
