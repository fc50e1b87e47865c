/**
 * Runs every benchmark in its own process (so one's JIT and heap state cannot skew the next), in sequence,
 * then prints the verdicts from bench/results/*.json. `npm run bench`; exits non-zero if a benchmark crashes.
 * The benchmarks and the library are first compiled with tsc (tsconfig.bench.json, into build/bench) and run
 * as plain JavaScript, as users run the package: through tsx, the transform's helpers and source-mapped
 * stack traces cost 15 to 25 % more CPU and heap. BENCH_FROM_SOURCE=1 runs the TypeScript through tsx instead.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultsDir } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Each benchmark and the node flags its process needs. */
const benchmarks: [string, string[]][] = [
  ['chain-overhead', []],
  ['begin-throughput', []],
  ['grpc-roundtrip', []],
  ['connect', []],
  ['connect-chains', []],
  ['connect-heap', ['--expose-gc']],
  // Root only (each skips with a message otherwise); minutes each.
  ['dataplane-connect', []],
  ['dataplane-fullstack', []],
  ['dataplane-throughput', []],
];

const fromSource = process.env['BENCH_FROM_SOURCE'] === '1';
if (!fromSource) {
  console.log('compiling the benchmarks and the library (tsconfig.bench.json -> build/bench)');
  const root = join(here, '..');
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (tsc.status !== 0) process.exit(1);
}
const entry = (name: string): string[] =>
  fromSource
    ? ['--import', 'tsx', join(here, `${name}.ts`)]
    : [join(here, '../build/bench/bench', `${name}.js`)];

for (const [name, flags] of benchmarks) {
  console.log(`\n=== ${name} ===`);
  const child = spawnSync(process.execPath, [...flags, ...entry(name)], { stdio: 'inherit' });
  if (child.status !== 0) {
    console.error(`${name} failed (exit ${child.status ?? child.signal})`);
    process.exit(1);
  }
}

type Range = { median: number };
const read = <T>(name: string): T =>
  (JSON.parse(readFileSync(join(resultsDir, `${name}.json`), 'utf8')) as { results: T }).results;
const chain = read<{
  slopeNsPerElement: number;
  worstNsPerElement: number;
  targetNsPerElement: number;
  nestingNsPerChain: number;
  pass: boolean;
}>('chain-overhead');
const begin = read<{
  distinctIds: { requestsPerSec: Range; closesPerSec: Range };
  sameId: { requestsPerSec: Range };
}>('begin-throughput');
const grpc = read<{ p50Ratio: number; throughputRatio: number; targetRatio: number; pass: boolean }>(
  'grpc-roundtrip',
);
type Latency = { heal: { request: { p50: number } } };
const connect = read<{
  local: Latency;
  remote: Latency;
  bestRate: number;
  pass: { localP50: boolean; remoteP50: boolean; connectsPerSec: boolean };
}>('connect');
const heap = read<{
  nsmgrHeal: { perConnectionKB: number };
  wholeProcess: { perConnectionKB: number };
  pass: boolean;
}>('connect-heap');
const chains = read<{ request: { p50: number }; cpuMsPerConnect: number }>('connect-chains');
const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
console.log('\n=== summary ===');
console.log(
  `chain: ${chain.slopeNsPerElement} ns/element (slope), worst ${chain.worstNsPerElement} ns ` +
    `(target <= ${chain.targetNsPerElement}) ${verdict(chain.pass)}; nesting ${chain.nestingNsPerChain} ns/chain`,
);
console.log(
  `begin+metadata: ${begin.distinctIds.requestsPerSec.median} requests/s, ${begin.distinctIds.closesPerSec.median} ` +
    `closes/s, same id ${begin.sameId.requestsPerSec.median} requests/s`,
);
console.log(
  `grpc: ours/bare p50 ${grpc.p50Ratio}x, throughput ${grpc.throughputRatio}x ` +
    `(target ${grpc.targetRatio}x) ${verdict(grpc.pass)}`,
);
console.log(
  `connect: local p50 ${connect.local.heal.request.p50} ms ${verdict(connect.pass.localP50)}, remote p50 ` +
    `${connect.remote.heal.request.p50} ms ${verdict(connect.pass.remoteP50)}, ${connect.bestRate} connects/s ` +
    `${verdict(connect.pass.connectsPerSec)}; nsmgr heap ${heap.nsmgrHeal.perConnectionKB} KB/connection ` +
    `${verdict(heap.pass)} (whole process ${heap.wholeProcess.perConnectionKB} KB)`,
);
console.log(
  `the same chains without gRPC: local p50 ${chains.request.p50} ms, ${chains.cpuMsPerConnect} ms CPU per ` +
    'connect + close (the rest of the connect numbers is the transport)',
);
