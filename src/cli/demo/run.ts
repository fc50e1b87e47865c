/**
 * One run of the demo: namespaces (or the reason there are none), the processes, then either the live view
 * until Ctrl-C or the `--once` checks, and always the teardown. Ctrl-C once stops (the client first); twice
 * kills everything at once.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoChild } from './child.js';
import { liveView } from './live.js';
import {
  clientNsmgrUrl,
  meshStages,
  NSC_CONNECTION_ID,
  startMesh,
  type Connected,
  type MeshPlan,
  type StartEvent,
} from './mesh.js';
import { ping, type PingResult } from './probe.js';
import { cleanTeardown, describeTeardown, RUN_ENV, teardown } from './teardown.js';
import { makeTopology, plannedTopology, type Topology } from './topology.js';
import { NO_ROOT, pathOf } from './view.js';
import { ConnectionWatch } from './watch.js';

export interface DemoOptions {
  readonly nodes: 1 | 2;
  readonly once: boolean;
  /** With --once: progress lines on stderr too. */
  readonly verbose: boolean;
  /** A directory to write each process's log to (`<label>.log`). */
  readonly logs: string | undefined;
}

export interface DemoIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Redraw the live view in place. */
  readonly tty: boolean;
}

/** The namespaces, or why there are none (then the data plane is recorded). */
async function namespaces(id: string, nodes: number): Promise<{ topology?: Topology; why?: string }> {
  if (process.getuid?.() !== 0) return { why: NO_ROOT };
  const topology = plannedTopology(id, nodes);
  try {
    await makeTopology(topology);
    return { topology };
  } catch (error) {
    const message = error instanceof Error ? error.message.trim().split('\n')[0] : String(error);
    return { why: `no network namespaces (${message}): ${NO_ROOT.slice('no root: '.length)}` };
  }
}

function progressLine(event: StartEvent): string {
  const { child } = event;
  const label = child.label.padEnd(12);
  if (event.kind === 'started') {
    const where = child.spec.netns === undefined ? '' : ` in ${child.spec.netns}`;
    return `  ${label} started, pid ${child.pid}${where}`;
  }
  const took = `${(event.ms / 1000).toFixed(1)} s`;
  const c = event.connected;
  if (c === undefined) return `  ${label} ready after ${took}`;
  const request = c.requestMs === undefined ? '' : ` (its request took ${c.requestMs} ms)`;
  return `  ${label} connected after ${took}${request}`;
}

const pingSummary = (label: string, r: PingResult): string => {
  if (r.error !== undefined) return `${label} failed (${r.error})`;
  const avg = r.avgMs === undefined ? '' : ` (${r.avgMs.toFixed(2)} ms avg)`;
  return `${label} ${r.received}/${r.sent}${avg}`;
};

/** The pings of --once: 3 each way; traffic flowed when both ways got replies. */
async function pingBothWays(topology: Topology, c: Connected): Promise<{ text: string; flowed: boolean }> {
  const [nseIp, nscIp] = [c.dstIps[0], c.srcIps[0]];
  if (nseIp === undefined || nscIp === undefined) return { text: 'no addresses to ping', flowed: false };
  const [there, back] = await Promise.all([ping(topology.nsc, nseIp, 3), ping(topology.nse, nscIp, 3)]);
  return {
    text: `${pingSummary('ping nsc→nse', there)}, ${pingSummary('nse→nsc', back)}`,
    flowed: there.received > 0 && back.received > 0,
  };
}

export class DemoRun {
  readonly id = randomBytes(3).toString('hex');
  readonly children: DemoChild[] = [];
  readonly stop = new AbortController();
  readonly force = new AbortController();
  readonly where: string;
  topology: Topology | undefined;
  /** Why the data plane is recorded, if it is. */
  why: string | undefined;
  dir: string | undefined;
  watch: ConnectionWatch | undefined;

  constructor(
    readonly options: DemoOptions,
    readonly io: DemoIo,
  ) {
    this.where = options.nodes === 2 ? 'remote' : 'local';
  }

  /** Progress: stdout for the live demo, stderr with --once --verbose, nowhere with --once. */
  say(line: string): void {
    const { once, verbose } = this.options;
    if (once && !verbose) return;
    (once ? this.io.stderr : this.io.stdout)(`${line}\n`);
  }

  /** Namespaces, socket dir and processes, up to the client's connection. */
  async start(): Promise<Connected> {
    const { nodes, once, logs } = this.options;
    ({ topology: this.topology, why: this.why } = await namespaces(this.id, nodes));
    const plane = this.topology === undefined ? 'recorded' : 'kernel';
    this.say(
      `nsm demo ${this.id}: ${this.where} (${nodes} node${nodes > 1 ? 's' : ''}), ${plane} data plane`,
    );
    // With --once the summary line says it.
    if (this.why !== undefined && !once) this.io.stdout(`${this.why}\n`);
    if (this.topology !== undefined) this.say(`  namespaces   ${this.topology.namespaces.join(', ')}`);
    this.dir = await mkdtemp(join(tmpdir(), `nsm-demo-${this.id}-`));
    this.say(`  sockets in   ${this.dir}`);
    const plan: MeshPlan = {
      nodes,
      dataplane: this.topology === undefined ? 'record' : 'kernel',
      dir: this.dir,
      topology: this.topology,
    };
    const stages = meshStages(plan).map((stage) =>
      stage.map((spec) => ({
        ...spec,
        env: { ...spec.env, [RUN_ENV]: this.id },
        logFile: logs === undefined ? undefined : join(logs, `${spec.label}.log`),
      })),
    );
    const connected = await startMesh(
      stages,
      this.children,
      (e) => this.say(progressLine(e)),
      this.stop.signal,
    );
    this.watch = new ConnectionWatch(clientNsmgrUrl(plan), NSC_CONNECTION_ID);
    return connected;
  }

  /** The --once checks: the outcome text and whether it counts as a success. */
  async check(connected: Connected): Promise<{ text: string; ok: boolean }> {
    const connect = connected.requestMs === undefined ? '' : ` connect ${Math.round(connected.requestMs)} ms`;
    if (this.topology !== undefined) {
      const pinged = await pingBothWays(this.topology, connected);
      return { text: `${this.where}${connect}, ${pinged.text}`, ok: pinged.flowed };
    }
    const path = pathOf({ watch: this.watch!, connected });
    const ips = `nsc ${connected.srcIps.join(',')} ↔ nse ${connected.dstIps.join(',')}`;
    return { text: `${this.where}${connect}, path ${path}, ${ips}; ${this.why ?? NO_ROOT}`, ok: true };
  }

  /** The live view until Ctrl-C. */
  live(connected: Connected): Promise<void> {
    return liveView({
      nodes: this.options.nodes,
      topology: this.topology,
      connected,
      watch: this.watch!,
      children: this.children,
      write: this.io.stdout,
      tty: this.io.tty,
      signal: this.stop.signal,
    });
  }

  /** Stops and removes everything; the summary and whether nothing was left. */
  async tearDown(): Promise<{ summary: string; clean: boolean }> {
    this.watch?.close();
    const result = await teardown({
      id: this.id,
      children: this.children,
      topology: this.topology,
      dir: this.dir,
      force: this.force.signal,
      say: (line) => this.say(line),
    });
    return { summary: describeTeardown(result), clean: cleanTeardown(result) };
  }
}
