/**
 * TCP throughput through the wires the kernel data plane makes, against the same kind of wire made by hand
 * between fresh namespaces in the same run (root and iperf3 needed; skipped with a message otherwise):
 * - veth: ours (local forwarder chain, the MTU it chooses: the context carries none, so the kernel's 1500)
 *   vs `ip link add ... type veth peer ...` between two namespaces;
 * - VXLAN: ours (two forwarders, pods on nodes joined by an underlay veth) vs a device made by hand
 *   (`ip link add ... netns <pod> type vxlan id .. local .. remote .. dstport 4789 mtu 1450`) in the same
 *   topology.
 * Each test is `iperf3 -t 5 -O 1` (one TCP stream, slow start omitted) both ways (NSC→NSE, then -R); per
 * round, kind and direction ours and bare run back to back (order alternating), BENCH_DP_REPS rounds (default
 * 5). Reported: median Gbit/s per wire and direction, and per kind the geometric mean of the paired ours/bare
 * ratios (both directions) with a ~95 % interval; the target is judged on that mean (one pair varies ±10 %).
 * Output: table on stdout, bench/results/dataplane-throughput.json.
 */
import { NetlinkPool, findExecutable } from '../src/kernel/index.js';
import { fakeNse, localForwarder, nscRequest, remoteForwarders } from './dataplane-chains.js';
import { bg, exitUnlessAble, Lab, skipIf, underlay } from './dataplane-lib.js';
import { bareWire, iperf, mtu, type Wire } from './dataplane-wires.js';
import { loadAverage, median, round, writeResults } from './lib.js';

const REPS = Number(process.env['BENCH_DP_REPS'] ?? 5);
const TARGET_RATIO = 0.95;

await exitUnlessAble('dataplane-throughput');
const noIperf = (await findExecutable('iperf3')) === undefined;
skipIf('dataplane-throughput', noIperf ? 'no iperf3 (apt-get install -y iperf3)' : undefined);

/** Geometric mean of ratios and its ~95 % interval (t ≈ 1.96 + 2.4/df on the logs). */
function geometricMean(ratios: readonly number[]): { mean: number; low: number; high: number } {
  const logs = ratios.map(Math.log);
  const m = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / (logs.length - 1));
  const half = ((1.96 + 2.4 / (logs.length - 1)) * sd) / Math.sqrt(logs.length);
  return {
    mean: round(Math.exp(m), 3),
    low: round(Math.exp(m - half), 3),
    high: round(Math.exp(m + half), 3),
  };
}

const lab = new Lab();
const pool = new NetlinkPool();
try {
  const load = [loadAverage()];
  const pods = await Promise.all(['nsc', 'nse', 'rnsc', 'rnse', 'nodeA', 'nodeB'].map((r) => lab.add(r)));
  const [nsc, nse, rnsc, rnse, nodeA, nodeB] = pods as [string, string, string, string, string, string];
  await underlay(nodeA, nodeB);
  const veth = localForwarder(
    pool,
    fakeNse(nse, () => ['nse-1', 1]),
  );
  await veth.request(nscRequest('tp-veth', nsc, 'nsm-1'), bg());
  const vxlan = remoteForwarders(
    pool,
    nodeA,
    nodeB,
    fakeNse(rnse, () => ['nse-1', 3]),
  );
  await vxlan.request(nscRequest('tp-vxlan', rnsc, 'nsm-1'), bg());
  const pairs = {
    veth: {
      ours: { client: nsc, server: nse, address: '172.29.1.1', device: [nsc, 'nsm-1'] } as Wire,
      bare: await bareWire(lab, 'bveth', 2, false),
    },
    vxlan: {
      ours: { client: rnsc, server: rnse, address: '172.29.3.1', device: [rnsc, 'nsm-1'] } as Wire,
      bare: await bareWire(lab, 'bvx', 4, true),
    },
  };
  await pool.close(); // the links stay; no `ip` channel runs during the tests
  type Dir = 'nscToNse' | 'nseToNsc';
  const gbps: Record<string, Record<Dir, number[]>> = {};
  const pairRatios: Record<string, Record<Dir, number[]>> = {};
  for (let rep = 0; rep < REPS; rep++) {
    for (const dir of ['nscToNse', 'nseToNsc'] as const) {
      for (const [kind, pair] of Object.entries(pairs)) {
        const got: Record<string, number> = {};
        for (const who of rep % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const)) {
          got[who] = await iperf(pair[who], dir === 'nseToNsc');
          ((gbps[`${kind}.${who}`] ??= { nscToNse: [], nseToNsc: [] })[dir] ??= []).push(got[who]);
        }
        const r = round(got['ours']! / got['bare']!, 3);
        ((pairRatios[kind] ??= { nscToNse: [], nseToNsc: [] })[dir] ??= []).push(r);
        console.log(`round ${rep + 1} ${kind} ${dir}: ours ${got['ours']} bare ${got['bare']} Gbit/s, ${r}`);
      }
    }
  }
  load.push(loadAverage());
  const results: Record<string, unknown> = {};
  let pass = true;
  for (const [kind, pair] of Object.entries(pairs)) {
    const side = async (who: 'ours' | 'bare') => {
      const s = gbps[`${kind}.${who}`]!;
      return {
        mtu: await mtu(...pair[who].device),
        nscToNse: median(s.nscToNse),
        nseToNsc: median(s.nseToNsc),
      };
    };
    const ratio = geometricMean([...pairRatios[kind]!.nscToNse, ...pairRatios[kind]!.nseToNsc]);
    pass &&= ratio.mean >= TARGET_RATIO;
    results[kind] = {
      ours: await side('ours'),
      bare: await side('bare'),
      ratio,
      pairRatios: pairRatios[kind],
    };
    console.log(`${kind}: ${JSON.stringify(results[kind])}`);
  }
  console.log(
    `ours/bare >= ${TARGET_RATIO} (geometric mean of the pairs): ${pass}; load ${load.join(' → ')}`,
  );
  const doc = { ...results, targetRatio: TARGET_RATIO, pass, seconds: 5, rounds: REPS, loadAverage: load };
  console.log(`wrote ${writeResults('dataplane-throughput', doc)}`);
} finally {
  await pool.close();
  await lab.dispose();
}
