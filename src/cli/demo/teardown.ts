/**
 * The demo's stop: the client first (it closes its connection, so the forwarders remove the interfaces), then
 * the other processes from the edge in (SIGTERM, SIGKILL after a bound); then a check that the pods hold no interface any more,
 * the namespaces and the socket dir are removed, and that no process of this run is left.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { DemoChild } from './child.js';
import { leftLinks, namespacesNamed, removeTopology, type Topology } from './topology.js';

/** The environment variable every process of a run carries (`<its id>`), to find strays. */
export const RUN_ENV = 'NSM_DEMO_RUN';
/** How long a process may take to stop after SIGTERM. */
const STOP_BOUND_MS = 5_000;

export interface TeardownResult {
  readonly processes: number;
  /** Processes that needed SIGKILL, or exited with an error (label and how). */
  readonly unclean: readonly string[];
  readonly namespaces: number;
  /** Interfaces still in the namespaces after the client closed its connection. */
  readonly leftLinks: readonly string[];
  /** Namespaces, processes and dirs still there at the end. */
  readonly left: readonly string[];
}

/** Pids of live processes whose environment has `KEY=value` (Linux /proc; none elsewhere). */
export function processesWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return pids
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids of the processes of demo run `id` (their environment has `RUN_ENV=<id>`). */
export function runProcesses(id: string): number[] {
  return processesWithEnv(RUN_ENV, id);
}

async function stopAll(children: readonly DemoChild[], unclean: string[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      const how = await child.stop(STOP_BOUND_MS);
      if (how === 'killed') unclean.push(`${child.label} (killed after ${STOP_BOUND_MS} ms)`);
      if (how !== 'failed') return;
      const { code, signal } = await child.exited;
      unclean.push(`${child.label} (${code === null ? `killed by ${String(signal)}` : `exit ${code}`})`);
    }),
  );
}

export interface TeardownInput {
  readonly id: string;
  readonly children: readonly DemoChild[];
  readonly topology: Topology | undefined;
  readonly dir: string | undefined;
  /** Aborted on a second Ctrl-C: every process is killed at once. */
  readonly force: AbortSignal;
  /** Progress lines (or nothing). */
  readonly say: (line: string) => void;
}

export async function teardown(input: TeardownInput): Promise<TeardownResult> {
  const { id, children, topology, dir, force, say } = input;
  const killAll = (): void => children.forEach((c) => c.kill());
  force.addEventListener('abort', killAll, { once: true });
  const unclean: string[] = [];
  try {
    const phase = (prefixes: readonly string[]): DemoChild[] =>
      children.filter((c) => prefixes.some((p) => c.label.startsWith(p)));
    const nsc = phase(['nsc']);
    if (nsc.some((c) => c.running)) say('  stopping nsc (it closes its connection)');
    await stopAll(nsc, unclean);
    const found = topology === undefined ? [] : await leftLinks(topology);
    // The rest from the edge in: endpoint and forwarders, nsmgrs, registry (none outlives what it talks to).
    for (const prefixes of [['nse', 'forwarder'], ['nsmgr'], ['registry']]) {
      const stage = phase(prefixes);
      if (stage.some((c) => c.running)) say(`  stopping ${stage.map((c) => c.label).join(', ')}`);
      await stopAll(stage, unclean);
    }
    await stopAll(
      children.filter((c) => c.running),
      unclean,
    );
    const strays = runProcesses(id);
    for (const pid of strays) process.kill(pid, 'SIGKILL');
    const namespaces = topology === undefined ? 0 : await removeTopology(topology);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    const left = [
      ...(topology === undefined ? [] : await namespacesNamed(`${topology.prefix}-`)),
      ...strays.map((pid) => `process ${pid}`),
      ...(dir !== undefined &&
      (await stat(dir).then(
        () => true,
        () => false,
      ))
        ? [dir]
        : []),
    ];
    return { processes: children.length, unclean, namespaces, leftLinks: found, left };
  } finally {
    force.removeEventListener('abort', killAll);
  }
}

/** `removed 5 processes, 2 namespaces` plus anything that went wrong. */
export function describeTeardown(result: TeardownResult): string {
  const parts = [
    `removed ${result.processes} processes${result.namespaces > 0 ? `, ${result.namespaces} namespaces` : ''}`,
  ];
  if (result.unclean.length > 0) parts.push(`not stopped cleanly: ${result.unclean.join(', ')}`);
  if (result.leftLinks.length > 0) parts.push(`interfaces left after close: ${result.leftLinks.join(', ')}`);
  if (result.left.length > 0) parts.push(`LEFT: ${result.left.join(', ')}`);
  return parts.join('; ');
}

/** True when the stop was clean and nothing is left. */
export const cleanTeardown = (result: TeardownResult): boolean =>
  result.unclean.length === 0 && result.leftLinks.length === 0 && result.left.length === 0;
