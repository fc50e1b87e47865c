/**
 * Kernel data plane connect and close cost, in-process against the real kernel (root only; skipped with a
 * message otherwise). The forwarder chains are those of test/kernel (begin, metadata, kernel data plane,
 * mechanism translation, a fake NSE tail; remote: two forwarders bridged without gRPC), so the control plane
 * included is that chain only: no nsmgr, no gRPC, no registry.
 * - latency: request sent → reply, at which point both pod interfaces exist, are UP and have their addresses
 *   (checked after each sample, untimed); then Close, timed. Cases: local veth and remote VXLAN, with warm
 *   `ip` channels (same pods each time) and with a fresh NSC pod (namespace) per connection, which includes
 *   opening the `ip` channel into it (the NSE pod stays, as a long-lived endpoint would).
 * - parallel: 10 NSC pods to one NSE pod (interfaces nse-0..nse-9), local. "loop": each client does Request
 *   then Close in a loop; "burst": 10 Requests at once, timed until all are done, then their Closes.
 * Knobs: BENCH_DP_CONNECTS (samples per latency case, default 100), BENCH_DP_LOOPS (per client, default 20).
 * Output: table on stdout, bench/results/dataplane-connect.json.
 */
import type { NetworkServiceHandler } from '../src/chain/network-service.js';
import { NetlinkPool } from '../src/kernel/index.js';
import { fakeNse, localForwarder, nscRequest, remoteForwarders } from './dataplane-chains.js';
import { bg, isUp, Lab, exitUnlessAble, stats, underlay, type Stats } from './dataplane-lib.js';
import { loadAverage, median, round, writeResults } from './lib.js';

const SAMPLES = Number(process.env['BENCH_DP_CONNECTS'] ?? 100);
const LOOPS = Number(process.env['BENCH_DP_LOOPS'] ?? 20);
const CLIENTS = 10;
const TARGETS = { localP50Ms: 15, localP99Ms: 60, remoteP50Ms: 25, connectsPerSec: 50 };

await exitUnlessAble('dataplane-connect');

type Case = { request: Stats; close: Stats };
const lab = new Lab();
const pool = new NetlinkPool();
const now = (): number => performance.now();
let seq = 0;

/** SAMPLES connects, each closed before the next, from the pod `nscOf()` gives; 5 untimed ones first. */
async function latency(fwd: NetworkServiceHandler, nse: string, nscOf: () => Promise<string>): Promise<Case> {
  const request: number[] = [];
  const close: number[] = [];
  for (let i = -5; i < SAMPLES; i++) {
    const nsc = await nscOf();
    const t0 = now();
    const conn = await fwd.request(nscRequest(`c${++seq}`, nsc, 'nsm-1'), bg());
    const t1 = now();
    if (!(await isUp(nsc, 'nsm-1')) || !(await isUp(nse, 'nse-1'))) throw new Error(`${conn.id}: not up`);
    const t2 = now();
    await fwd.close(conn, bg());
    const t3 = now();
    if (i < 0) continue;
    request.push(t1 - t0);
    close.push(t3 - t2);
  }
  return { request: stats(request), close: stats(close) };
}

/** A fresh NSC pod per connection (the previous one deleted first, untimed). */
function freshPods(): () => Promise<string> {
  let last: string | undefined;
  return async () => {
    if (last !== undefined) await lab.remove(last);
    last = await lab.add(`nsc${++seq}`);
    return last;
  };
}

async function parallel(nse: string) {
  const nscs = await Promise.all(Array.from({ length: CLIENTS }, (_, w) => lab.add(`par${w}`)));
  const fwd = localForwarder(
    pool,
    fakeNse(nse, (id) => [`nse-${id.split('-')[1]}`, 10 + Number(id.split('-')[1])]),
  );
  const connect = (w: number) => fwd.request(nscRequest(`p-${w}-${++seq}`, nscs[w]!, 'nsm-1'), bg());
  const requests: number[] = [];
  const t0 = now();
  await Promise.all(
    nscs.map(async (_, w) => {
      for (let i = 0; i < LOOPS; i++) {
        const t = now();
        const conn = await connect(w);
        requests.push(now() - t);
        await fwd.close(conn, bg());
      }
    }),
  );
  const loopRate = round((CLIENTS * LOOPS) / ((now() - t0) / 1000), 1);
  const burst: number[] = [];
  const burstClose: number[] = [];
  for (let r = 0; r < LOOPS; r++) {
    const t = now();
    const conns = await Promise.all(nscs.map((_, w) => connect(w)));
    burst.push(now() - t);
    const c = now();
    await Promise.all(conns.map((conn) => fwd.close(conn, bg())));
    burstClose.push(now() - c);
  }
  for (const ns of nscs) await lab.remove(ns);
  return {
    loop: { cyclesPerSec: loopRate, request: stats(requests) },
    burst: {
      connectsPerSec: round((CLIENTS * 1000) / median(burst), 1),
      closesPerSec: round((CLIENTS * 1000) / median(burstClose), 1),
      roundMs: stats(burst),
    },
  };
}

try {
  const load = [loadAverage()];
  const roles = ['nsc', 'nse', 'nodeA', 'nodeB'].map((role) => lab.add(role));
  const [nsc, nse, nodeA, nodeB] = (await Promise.all(roles)) as [string, string, string, string];
  await underlay(nodeA, nodeB);
  const one = fakeNse(nse, () => ['nse-1', 1]);
  const local = localForwarder(pool, one);
  const remote = remoteForwarders(pool, nodeA, nodeB, one);
  const results = {
    localWarm: await latency(local, nse, async () => nsc),
    localFreshNsc: await latency(local, nse, freshPods()),
    remoteWarm: await latency(remote, nse, async () => nsc),
    remoteFreshNsc: await latency(remote, nse, freshPods()),
    parallel: await parallel(nse),
  };
  load.push(loadAverage());
  const r = results;
  const worst = (q: 'p50' | 'p99', a: Case, b: Case): number => Math.max(a.request[q], b.request[q]);
  const pass = {
    localP50: worst('p50', r.localWarm, r.localFreshNsc) <= TARGETS.localP50Ms,
    localP99: worst('p99', r.localWarm, r.localFreshNsc) <= TARGETS.localP99Ms,
    remoteP50: worst('p50', r.remoteWarm, r.remoteFreshNsc) <= TARGETS.remoteP50Ms,
    connectsPerSec: r.parallel.loop.cyclesPerSec >= TARGETS.connectsPerSec,
  };
  console.log('case            request p50 / p99 / max ms    close p50 / p99 ms');
  for (const name of ['localWarm', 'localFreshNsc', 'remoteWarm', 'remoteFreshNsc'] as const) {
    const { request: q, close: c } = r[name];
    console.log(`${name.padEnd(16)}${`${q.p50} / ${q.p99} / ${q.max}`.padEnd(30)}${c.p50} / ${c.p99}`);
  }
  const p = r.parallel;
  console.log(
    `parallel x${CLIENTS}: loop ${p.loop.cyclesPerSec} Request+Close/s (request p50 ${p.loop.request.p50} ms,` +
      ` p99 ${p.loop.request.p99} ms); burst ${p.burst.connectsPerSec} connects/s, ${p.burst.closesPerSec} closes/s`,
  );
  console.log(`load average ${load.join(' → ')}; pass ${JSON.stringify(pass)}`);
  console.log(
    `wrote ${writeResults('dataplane-connect', { ...results, targets: TARGETS, pass, loadAverage: load })}`,
  );
} finally {
  await pool.close();
  await lab.dispose();
}
