/**
 * Control-plane connect cost over the tcp sandbox (registry on, one forwarder per node, endpoint on node 0):
 * - latency of one Request, local (client → nsmgr → forwarder → endpoint) and remote (client on node 1 →
 *   nsmgr1 → fwd1 → nsmgr0 → fwd0 → endpoint): sequential Requests on fresh ids, each followed by an untimed
 *   (separately reported) Close; sandbox clients with heal (the default) and without, in alternating blocks;
 * - connects/s with 1, 10 and 100 concurrent sandbox clients, each doing Request then Close in a loop.
 * Knobs: BENCH_CONNECTS (samples per latency case, default 200), BENCH_WARMUP (connects per client before
 * measuring, default 500: the JIT and V8's inline caches settle over the first few hundred connects, and the
 * targets are for a running mesh; 150 measured a process still warming up, ~25 % slower). Also reported: CPU ms per connect (process CPU
 * time / connects, Request + Close), steadier than wall time on a shared machine.
 * Output: human table on stdout, bench/results/connect.json.
 */
import { cpus } from 'node:os';
import type { Domain } from '../src/testing/sandbox/index.js';
import { percentiles, sequentialConnects, withDomain, type Client, type Percentiles } from './connect-lib.js';
import { loadAverage, round, writeResults } from './lib.js';

const SAMPLES = Number(process.env['BENCH_CONNECTS'] ?? 200);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 500);
const BLOCK = 50;
const TARGETS = { localP50Ms: 4, remoteP50Ms: 8, connectsPerSec: 300 };
/** Concurrency → Request+Close iterations per client (about 300 to 500 connects per case). */
const LOADS: [number, number][] = [
  [1, 200],
  [10, 20],
  [100, 3],
];

type Variant = 'heal' | 'withoutHeal';
/** Process CPU ms (user + system) since `since`, per `count`. */
const cpuMsPer = (since: NodeJS.CpuUsage, count: number): number => {
  const { user, system } = process.cpuUsage(since);
  return round((user + system) / 1000 / count, 1);
};
const variants: Variant[] = ['heal', 'withoutHeal'];
const newClient = (domain: Domain, node: number, variant: Variant): Client =>
  domain.nodes[node]!.newClient(variant === 'withoutHeal' ? { withoutHeal: true } : {});

interface LatencyCase {
  request: Percentiles;
  closeP50: number;
  /** Process CPU per Request + Close. */
  cpuMs: number;
}
type Latency = Record<Variant, LatencyCase>;

/** Latency on `domain` from a client on `node`: warmup, then alternating blocks per variant. */
async function latency(domain: Domain, node: number): Promise<Latency> {
  const acc = Object.fromEntries(
    variants.map((v) => [
      v,
      { nsc: newClient(domain, node, v), request: [] as number[], close: [] as number[], cpu: 0 },
    ]),
  ) as Record<Variant, { nsc: Client; request: number[]; close: number[]; cpu: number }>;
  for (const v of variants) await sequentialConnects(domain, acc[v].nsc, WARMUP);
  for (let done = 0; done < SAMPLES; done += BLOCK) {
    for (const v of variants) {
      const cpu = process.cpuUsage();
      const block = await sequentialConnects(domain, acc[v].nsc, Math.min(BLOCK, SAMPLES - done));
      acc[v].cpu += cpuMsPer(cpu, 1);
      acc[v].request.push(...block.request);
      acc[v].close.push(...block.close);
    }
  }
  const summary = (v: Variant): LatencyCase => ({
    request: percentiles(acc[v].request),
    closeP50: percentiles(acc[v].close).p50,
    cpuMs: round(acc[v].cpu / SAMPLES, 1),
  });
  return { heal: summary('heal'), withoutHeal: summary('withoutHeal') };
}

/** `concurrency` fresh clients, one warmup connect each (dials), then `iterations` connects each, timed. */
async function throughput(domain: Domain, variant: Variant, concurrency: number, iterations: number) {
  const clients = Array.from({ length: concurrency }, () => newClient(domain, 0, variant));
  await Promise.all(clients.map((nsc) => sequentialConnects(domain, nsc, 1)));
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(clients.map((nsc) => sequentialConnects(domain, nsc, iterations)));
  const seconds = (performance.now() - t0) / 1000;
  for (const nsc of clients) nsc.stop();
  return {
    perSec: round((concurrency * iterations) / seconds, 0),
    cpuMs: cpuMsPer(cpu, concurrency * iterations),
  };
}

const loadAtStart = loadAverage();
const local = await withDomain(1, (d) => latency(d, 0));
const remote = await withDomain(2, (d) => latency(d, 1));
const load = await withDomain(1, async (d) => {
  const warm = newClient(d, 0, 'heal');
  await sequentialConnects(d, warm, WARMUP);
  warm.stop();
  const rows = [];
  for (const [concurrency, iterations] of LOADS) {
    const heal = await throughput(d, 'heal', concurrency, iterations);
    const withoutHeal = await throughput(d, 'withoutHeal', concurrency, iterations);
    rows.push({
      concurrency,
      iterations,
      'heal /s': heal.perSec,
      'heal cpu ms': heal.cpuMs,
      'withoutHeal /s': withoutHeal.perSec,
      'withoutHeal cpu ms': withoutHeal.cpuMs,
    });
  }
  return rows;
});

const bestRate = Math.max(...load.map((r) => r['heal /s']));
const pass = {
  localP50: local.heal.request.p50 <= TARGETS.localP50Ms,
  remoteP50: remote.heal.request.p50 <= TARGETS.remoteP50Ms,
  connectsPerSec: bestRate >= TARGETS.connectsPerSec,
};
const loadavg = { start: loadAtStart, end: loadAverage() };
const results = {
  samples: SAMPLES,
  warmup: WARMUP,
  targets: TARGETS,
  loadavg,
  local,
  remote,
  load,
  bestRate,
  pass,
};

const row = (name: string, l: Latency, v: Variant): Record<string, unknown> => ({
  case: `${name}, ${v}`,
  'p50 ms': l[v].request.p50,
  'p99 ms': l[v].request.p99,
  'max ms': l[v].request.max,
  'close p50 ms': l[v].closeP50,
  'cpu ms/connect': l[v].cpuMs,
});
console.log(`connect latency, ${SAMPLES} sequential Requests per case after ${WARMUP} warmup:`);
console.table(variants.flatMap((v) => [row('local', local, v), row('remote', remote, v)]));
console.log(
  'connects/s (Request + Close per iteration; established connections per second) and CPU ms per connect:',
);
console.table(load);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
console.log(
  `local p50 ${local.heal.request.p50} ms (<= ${TARGETS.localP50Ms}) ${verdict(pass.localP50)}; ` +
    `remote p50 ${remote.heal.request.p50} ms (<= ${TARGETS.remoteP50Ms}) ${verdict(pass.remoteP50)}; ` +
    `best ${bestRate} connects/s (>= ${TARGETS.connectsPerSec}) ${verdict(pass.connectsPerSec)}`,
);
console.log(`load average ${loadavg.start} -> ${loadavg.end} on ${cpus().length} cores`);
console.log(`wrote ${writeResults('connect', results)}`);
