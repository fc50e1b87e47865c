/**
 * Heap per established connection (run with `node --expose-gc`): after warmup, a full-GC baseline; then
 * BENCH_HEAP_CONNECTIONS (default 1000) local connections opened and kept open (20 at a time, one sandbox
 * client); heap again; then all closed; heap again (leak check: reported, not asserted). Also the process
 * CPU per Request and per Close, which for the child is the nsmgr's alone.
 * 1. whole process: registry, nsmgr, forwarder, endpoint and client all in this process (tcp sandbox);
 * 2. nsmgr alone: the same nsmgr (sandbox construction) in a child process (connect-nsmgr.ts), everything
 *    else here; the child's heap is the nsmgr's, with heal (the default) and without.
 * Knobs: BENCH_CHILD_ARGS (extra node flags for the nsmgr child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`),
 * BENCH_HEAP_SNAPSHOTS (a directory: the child writes a heap snapshot at each reading).
 * Output: human table on stdout, bench/results/connect-heap.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from '../src/api/gen/connection.js';
import {
  createSandbox,
  SandboxNode,
  type Domain,
  type RestartableServer,
} from '../src/testing/sandbox/index.js';
import { pool, populate, sequentialConnects, timedClose, timedRequest, withDomain } from './connect-lib.js';
import { loadAverage, round, shareMonitorStreams, writeResults } from './lib.js';
import { probe, type Probe } from './probe.js';

const COUNT = Number(process.env['BENCH_HEAP_CONNECTIONS'] ?? 1000);
const PARALLEL = 20;
const TARGET_KB = 20;
const self = fileURLToPath(import.meta.url);
/** Run from a tsc build (`.js`) the child is built too and needs no tsx. */
const built = self.endsWith('.js');
const childArgs = [
  '--expose-gc',
  ...(built ? [] : ['--import', 'tsx']),
  ...(process.env['BENCH_CHILD_ARGS']?.split(' ').filter(Boolean) ?? []),
];
const childPath = join(dirname(self), `connect-nsmgr.${built ? 'js' : 'ts'}`);

/**
 * Heap (MB) before, with COUNT open connections, and after closing them; KB per connection and leaked; CPU ms
 * per Request and per Close (PARALLEL in flight) of the process `read` looks at.
 */
async function measure(domain: Domain, node: SandboxNode, read: () => Promise<Probe>, withoutHeal: boolean) {
  const nsc = node.newClient(withoutHeal ? { withoutHeal } : {});
  await sequentialConnects(domain, nsc, 100);
  const baseline = await read();
  const t0 = performance.now();
  const open: Connection[] = await pool(
    COUNT,
    PARALLEL,
    async () => (await timedRequest(domain, nsc)).connection,
  );
  const establishSeconds = (performance.now() - t0) / 1000;
  const loaded = await read();
  await pool(COUNT, PARALLEL, (i) => timedClose(domain, nsc, open[i]!));
  open.length = 0;
  const closed = await read();
  nsc.stop();
  const mb = (bytes: number): number => round(bytes / 2 ** 20, 1);
  return {
    baselineMB: mb(baseline.heap),
    loadedMB: mb(loaded.heap),
    closedMB: mb(closed.heap),
    perConnectionKB: round((loaded.heap - baseline.heap) / COUNT / 1024, 1),
    leakKBPerConnection: round((closed.heap - baseline.heap) / COUNT / 1024, 2),
    establishPerSec: round(COUNT / establishSeconds, 0),
    requestCpuMs: round((loaded.cpuBefore - baseline.cpuAfter) / COUNT, 2),
    closeCpuMs: round((closed.cpuBefore - loaded.cpuAfter) / COUNT, 2),
  };
}

/** A node whose nsmgr runs elsewhere (the child): everything the sandbox starts on it dials `externalUrl`. */
class ExternalNsmgrNode extends SandboxNode {
  constructor(
    domain: Domain,
    readonly externalUrl: string,
  ) {
    super(domain, 0, 'nsmgr-0');
  }
  override get nsmgr(): RestartableServer {
    return { url: this.externalUrl } as unknown as RestartableServer;
  }
}

function reply<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`nsmgr child exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

/** The nsmgr in a child process, the rest here; the child's heap and CPU. */
async function isolated(withoutHeal: boolean) {
  const domain = await createSandbox({ nodes: 0, transport: 'tcp', registry: true, shareMonitorStreams });
  const child = spawn(process.execPath, [...childArgs, childPath], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_REGISTRY_URL: domain.registry!.url },
  });
  try {
    const { url } = await reply<{ url: string }>(child);
    const node = new ExternalNsmgrNode(domain, url);
    domain.nodes.push(node);
    await node.newForwarder();
    await populate(domain);
    const childProbe = async (): Promise<Probe> => {
      const answer = reply<Probe>(child);
      child.send('probe');
      return answer;
    };
    return await measure(domain, node, childProbe, withoutHeal);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.connected) child.send('stop');
    await exited;
    await domain.close();
  }
}

const loadAtStart = loadAverage();
const wholeProcess = await withDomain(1, (d) => measure(d, d.nodes[0]!, probe, false));
const nsmgrHeal = await isolated(false);
const nsmgrWithoutHeal = await isolated(true);
const pass = nsmgrHeal.perConnectionKB <= TARGET_KB;
const ceiling = round(1000 / (nsmgrHeal.requestCpuMs + nsmgrHeal.closeCpuMs), 0);
const loadavg = { start: loadAtStart, end: loadAverage() };
const results = {
  connections: COUNT,
  targetKB: TARGET_KB,
  loadavg,
  wholeProcess,
  nsmgrHeal,
  nsmgrWithoutHeal,
  pass,
};

console.log(`heap with ${COUNT} open local connections (full GC before each reading), CPU per call:`);
console.table([
  { case: 'whole process, heal', ...wholeProcess },
  { case: 'nsmgr alone, heal', ...nsmgrHeal },
  { case: 'nsmgr alone, withoutHeal', ...nsmgrWithoutHeal },
]);
console.log(
  `nsmgr heap per connection ${nsmgrHeal.perConnectionKB} KB (<= ${TARGET_KB}) ${pass ? 'PASS' : 'MISS'}; ` +
    `whole process ${wholeProcess.perConnectionKB} KB; nsmgr CPU ${nsmgrHeal.requestCpuMs} ms per Request, ` +
    `${nsmgrHeal.closeCpuMs} ms per Close (one core: at most ${ceiling} connects/s)`,
);
console.log(`load average ${loadavg.start} -> ${loadavg.end}`);
console.log(`wrote ${writeResults('connect-heap', results)}`);
