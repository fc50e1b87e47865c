/**
 * Child process of connect-heap.ts: runs one sandbox nsmgr and nothing else, so its heap can be measured
 * alone. Started with `node --expose-gc --import tsx` and an IPC channel; BENCH_REGISTRY_URL is the parent's
 * registry. Sends `{ url }` once serving, answers `'probe'` with its heap and CPU readings (probe.ts) and
 * `'stop'` by closing the nsmgr and exiting. With BENCH_HEAP_SNAPSHOTS=<dir> it also writes a heap snapshot at
 * each probe (baseline, loaded, closed).
 */
import { writeHeapSnapshot } from 'node:v8';
import type { RestartableServer } from '../src/testing/sandbox/index.js';
import { Domain, SandboxNode } from '../src/testing/sandbox/index.js';
import { probe } from './probe.js';
import { shareMonitorStreams } from './lib.js';

const registryUrl = process.env['BENCH_REGISTRY_URL'];
if (registryUrl === undefined || process.send === undefined) {
  throw new Error('connect-nsmgr: run by connect-heap.ts (needs BENCH_REGISTRY_URL and IPC)');
}
const send = (message: unknown): void => {
  process.send?.(message);
};

// The same construction as createSandbox's node 0, pointed at the parent's registry.
const domain = new Domain({ nodes: 1, transport: 'tcp', registry: true, shareMonitorStreams });
domain.registry = { url: registryUrl } as unknown as RestartableServer;
const node = new SandboxNode(domain, 0, 'nsmgr-0');
domain.nodes.push(node);
await node.startNsmgr();

/** BENCH_HEAP_SNAPSHOTS=<dir>: also write a heap snapshot at each probe (after its full GCs), for diffing. */
const snapshots = process.env['BENCH_HEAP_SNAPSHOTS'];
let probes = 0;
process.on('message', (message) => {
  if (message === 'probe') {
    void probe().then((reading) => {
      if (snapshots !== undefined)
        writeHeapSnapshot(`${snapshots}/nsmgr-${process.pid}-${probes++}.heapsnapshot`);
      send(reading);
    });
  } else if (message === 'stop') {
    domain.registry = undefined;
    void domain.close().then(() => process.disconnect());
  }
});
send({ url: node.nsmgr.url });
