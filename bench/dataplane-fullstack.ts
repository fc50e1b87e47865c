/**
 * Kernel data plane connect through the real processes (root only; skipped with a message otherwise): a
 * registry, per node an nsmgr and a `--dataplane kernel` forwarder in the node's namespace, and the
 * icmp-responder endpoint in its pod, each an `nsm` process (src/cli/demo/child.ts), over unix sockets.
 * This process is the client (the client preset without heal or refresh, KERNEL mechanism, netns URL of the
 * NSC pod), so the time is request sent → reply, the whole control plane over gRPC included; both pod
 * interfaces are checked to be up with addresses after each sample (untimed). Local: one node; remote: the
 * endpoint on node 1, nodes joined by an underlay veth (the nsmgrs also listen on it, so VXLAN is offered).
 * The same again with `--dataplane record` (nothing touched): the control plane alone, for the difference.
 * Also each process's CPU per connect (Request + Close; /proc/<pid>/stat, 10 ms ticks).
 * Knobs: BENCH_DP_CONNECTS (default 100), BENCH_DP_WARMUP (untimed connects first, default 500: the processes'
 * JIT settles over the first few hundred; 150 measured them still warming, 15 to 25 % slower). Output: table on
 * stdout, bench/results/dataplane-fullstack.json.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { grpcDialer } from '../src/api/peer.js';
import { withCancel } from '../src/chain/cancel.js';
import { networkServiceHandler } from '../src/chain/network-service.js';
import { DemoChild } from '../src/cli/demo/child.js';
import { netnsUrlClient } from '../src/cli/netns-url.js';
import { kernelClient, kernelMechanism, mechanismsClient } from '../src/elements/mechanisms/index.js';
import { jwtTokenGenerator } from '../src/elements/token-jwt/index.js';
import { tokenDialer } from '../src/elements/token-dialer/index.js';
import { clientElements } from '../src/presets/client/index.js';
import { bg, exitUnlessAble, isUp, Lab, stats, underlay } from './dataplane-lib.js';
import { meshStages, type DataPlane } from './dataplane-mesh.js';
import { loadAverage, round, writeResults } from './lib.js';

const SAMPLES = Number(process.env['BENCH_DP_CONNECTS'] ?? 100);
const WARMUP = Number(process.env['BENCH_DP_WARMUP'] ?? 500);
const TARGETS = { localP50Ms: 15, localP99Ms: 60, remoteP50Ms: 25 };
await exitUnlessAble('dataplane-fullstack');

/** Starts the mesh, then SAMPLES connects (after WARMUP untimed ones), each closed (timed) before the next. */
/** CPU ms (user + system) of process `pid` so far (-pid: of its children, the forwarder's `ip` channels). */
function cpuMs(pid: number): number {
  if (pid < 0) {
    const kids = readFileSync(`/proc/${-pid}/task/${-pid}/children`, 'utf8').trim().split(' ');
    return kids.filter(Boolean).reduce((sum, kid) => sum + cpuMs(Number(kid)), 0);
  }
  if (pid === process.pid) return (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 1/100 s (USER_HZ)
}

async function run(lab: Lab, nodes: number, dataplane: DataPlane) {
  const nodeNs: string[] = [];
  const tag = `${nodes}${dataplane[0]}`;
  for (let i = 0; i < nodes; i++) nodeNs.push(await lab.add(`${tag}-node${i}`));
  if (nodes > 1) await underlay(nodeNs[0]!, nodeNs[1]!);
  const [nsc, nse] = [await lab.add(`${tag}-nsc`), await lab.add(`${tag}-nse`)];
  const dir = await mkdtemp(join(tmpdir(), 'nsm-bench-'));
  const children: DemoChild[] = [];
  const grpc = grpcDialer();
  const chain = new AbortController();
  try {
    for (const stage of meshStages(dir, nodeNs, nse, dataplane)) {
      const started = stage.map((spec) => new DemoChild(spec));
      children.push(...started);
      await Promise.all(started.map((c) => c.waitForMessage('startup completed in ', 20_000)));
    }
    const tokens = jwtTokenGenerator({ spiffeId: 'spiffe://nsm.local/nsc/bench' });
    const client = networkServiceHandler(
      clientElements({
        ...{ name: 'bench-nsc', url: `unix://${join(dir, 'nsmgr-0.sock')}`, chainSignal: chain.signal },
        ...{ dialer: tokenDialer(grpc, tokens), refresh: false },
        additional: [
          mechanismsClient({ KERNEL: kernelClient() }),
          netnsUrlClient(`file:///run/netns/${nsc}`),
        ],
      }),
    );
    const request: number[] = [];
    const close: number[] = [];
    const pids = new Map([...children.map((c) => [c.label, c.pid] as const), ['client', process.pid]]);
    for (const c of children.filter((c) => c.label.startsWith('forwarder')))
      pids.set(`${c.label} ip`, -c.pid);
    const cpu = new Map<string, number>();
    for (let i = -WARMUP; i < SAMPLES; i++) {
      if (i === 0) for (const [label, pid] of pids) cpu.set(label, cpuMs(pid));
      const req = NetworkServiceRequest.fromPartial({
        connection: { id: `bench-${nodes}-${i}`, networkService: 'icmp-responder' },
        mechanismPreferences: [kernelMechanism({ interfaceName: 'nsm-1' })],
      });
      const scope = withCancel(bg(), 15_000);
      try {
        const t0 = performance.now();
        const conn = await client.request(req, scope.ctx);
        const t1 = performance.now();
        const up = dataplane === 'record' || ((await isUp(nsc, 'nsm-1')) && (await isUp(nse)));
        if (!up) throw new Error(`${conn.id}: not up`);
        const t2 = performance.now();
        await client.close(conn, scope.ctx);
        if (i >= 0) request.push(t1 - t0);
        if (i >= 0) close.push(performance.now() - t2);
      } finally {
        scope.cancel();
      }
    }
    const perConnect = [...pids].map(([label, pid]) => [
      label,
      round((cpuMs(pid) - cpu.get(label)!) / SAMPLES, 1),
    ]);
    return { request: stats(request), close: stats(close), cpuMsPerConnect: Object.fromEntries(perConnect) };
  } finally {
    chain.abort();
    grpc.closeAll();
    for (const child of children.reverse()) await child.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  }
}

const lab = new Lab();
try {
  const load = [loadAverage()];
  const results = {
    local: await run(lab, 1, 'kernel'),
    remote: await run(lab, 2, 'kernel'),
    localRecorded: await run(lab, 1, 'record'),
    remoteRecorded: await run(lab, 2, 'record'),
  };
  load.push(loadAverage());
  const { local, remote } = results;
  const pass = {
    localP50: local.request.p50 <= TARGETS.localP50Ms,
    localP99: local.request.p99 <= TARGETS.localP99Ms,
    remoteP50: remote.request.p50 <= TARGETS.remoteP50Ms,
  };
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name}: request ${JSON.stringify(r.request)} ms, close ${JSON.stringify(r.close)} ms`);
    console.log(`  CPU ms per Request + Close: ${JSON.stringify(r.cpuMsPerConnect)}`);
  }
  console.log(`load average ${load.join(' → ')}; pass ${JSON.stringify(pass)}`);
  console.log(
    `wrote ${writeResults('dataplane-fullstack', { ...results, targets: TARGETS, pass, loadAverage: load })}`,
  );
} finally {
  await lab.dispose();
}
