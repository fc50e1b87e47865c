/**
 * Chain overhead: one Request through `networkServiceHandler([...N pass-through elements])` for N = 0 (the bare
 * NSM tail, the baseline), 1, 10, 20 and 60, and the same 20 elements as 4 nested `chain()`s of 5. Reports ns
 * per call (mitata p50, median of BENCH_PASSES=3 rotated passes), ns per element = (t(N) - t(0)) / N and the
 * least-squares slope over all N. Target: <= 150 ns per pass-through element (N=1 is too noisy to judge).
 * Output: human table on stdout, bench/results/chain-overhead.json.
 */
import { bench, run } from 'mitata';
import { NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { CallContext } from '../src/chain/context.js';
import {
  chain,
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../src/chain/network-service.js';
import { median, round, writeResults } from './lib.js';

const TARGET_NS_PER_ELEMENT = 150;

const passThrough = (i: number): NetworkServiceElement => ({
  name: `pass${i}`,
  request: (r, c, n) => n.request(r, c),
  close: (c, x, n) => n.close(c, x),
});
const elements = (count: number): NetworkServiceElement[] =>
  Array.from({ length: count }, (_, i) => passThrough(i));

const request = NetworkServiceRequest.fromPartial({ connection: { id: 'bench', networkService: 'svc' } });
const ctx = CallContext.background();

const sizes = [0, 1, 10, 20, 60];
const cases = new Map<string, NetworkServiceHandler>(
  sizes.map((n) => [`flat N=${n}`, networkServiceHandler(elements(n))]),
);
const twenty = elements(20);
const nested = [0, 5, 10, 15].map((at) => chain(...twenty.slice(at, at + 5)));
cases.set('nested 4x5 (N=20)', networkServiceHandler(nested));

for (const [name, handler] of cases) {
  // Sanity: the tail echoes the connection back.
  if ((await handler.request(request, ctx)).id !== 'bench') throw new Error(`${name}: wrong result`);
}

// Several passes, each in a rotated order, so a slow moment or JIT order effect does not land on one case.
const PASSES = Number(process.env['BENCH_PASSES'] ?? 3);
const names = [...cases.keys()];
const samples = new Map<string, { avg: number[]; p50: number[] }>(
  names.map((n) => [n, { avg: [], p50: [] }]),
);
for (let pass = 0; pass < PASSES; pass++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + pass) % names.length]!;
    const handler = cases.get(name)!;
    bench(name, () => handler.request(request, ctx));
  }
  const { benchmarks } = await run({ print: () => undefined });
  for (const trial of benchmarks) {
    const s = trial.runs[0]?.stats;
    const into = samples.get(trial.alias);
    if (s && into) {
      into.avg.push(s.avg);
      into.p50.push(s.p50);
    }
  }
}

// p50 of mitata's batched samples (GC pauses land in the tail), median over passes.
const t = (name: string): number => median(samples.get(name)!.p50);
const elementsOf = (name: string): number =>
  name.startsWith('nested') ? 20 : Number(name.slice('flat N='.length));
const rows = names.map((name) => {
  const n = elementsOf(name);
  const p50s = samples.get(name)!.p50;
  return {
    case: name,
    elements: n,
    p50Ns: round(t(name)),
    avgNs: round(median(samples.get(name)!.avg)),
    spreadNs: `${round(Math.min(...p50s))}..${round(Math.max(...p50s))}`,
    nsPerElement: n === 0 ? null : round((t(name) - t('flat N=0')) / n),
  };
});
// Least-squares slope of p50 over the flat cases: the per-element cost with every N weighing in.
const flat = sizes.map((n) => ({ x: n, y: t(`flat N=${n}`) }));
const mx = flat.reduce((a, p) => a + p.x, 0) / flat.length;
const my = flat.reduce((a, p) => a + p.y, 0) / flat.length;
const slope =
  flat.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / flat.reduce((a, p) => a + (p.x - mx) ** 2, 0);
const nestingNsPerChain = round((t('nested 4x5 (N=20)') - t('flat N=20')) / 4);
// N=1 is shown but not judged: one element's cost is below the noise of a ~100 ns baseline.
const worst = round(Math.max(...rows.filter((r) => r.elements >= 10).map((r) => r.nsPerElement ?? 0), slope));

console.log(`ns per call (p50, median of ${PASSES} passes), ns per element = (t(N) - t(0)) / N:`);
console.table(rows);
console.log(`slope fit: ${round(slope)} ns per element`);
console.log(`nesting: ${nestingNsPerChain} ns per nested chain (nested 4x5 vs flat 20)`);
console.log(
  `target <= ${TARGET_NS_PER_ELEMENT} ns/element: worst ${worst} ns -> ${worst <= TARGET_NS_PER_ELEMENT ? 'PASS' : 'FAIL'}`,
);
const path = writeResults('chain-overhead', {
  passes: PASSES,
  rows,
  slopeNsPerElement: round(slope),
  nestingNsPerChain,
  worstNsPerElement: worst,
  targetNsPerElement: TARGET_NS_PER_ELEMENT,
  pass: worst <= TARGET_NS_PER_ELEMENT,
});
console.log(`wrote ${path}`);
