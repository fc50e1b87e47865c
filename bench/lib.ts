/** Shared helpers for the benchmarks: machine description, percentiles, and writing results as JSON. */
import { NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's bench/results, whether this runs from bench/ or from the build under build/bench/. */
export const resultsDir = join(repositoryRoot(dirname(fileURLToPath(import.meta.url))), 'bench', 'results');

function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    if (dirname(dir) === dir) throw new Error(`bench: no repository above ${from}`);
  }
}

function osName(): string {
  try {
    const line = readFileSync('/etc/os-release', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('PRETTY_NAME='));
    if (line) return line.slice('PRETTY_NAME='.length).replaceAll('"', '');
  } catch {
    // not Linux: fall back below
  }
  return type();
}

export function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: osName(),
  };
}

/** The q-quantile (0..1) of `sorted`, an ascending array, by nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** Writes `bench/results/<name>.json` with the machine and time of the run, and returns its path. */
export function writeResults(name: string, results: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.json`);
  const doc = { benchmark: name, date: new Date().toISOString(), machine: machine(), results };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

/** The 1-minute load average (the machine is shared: a high one means noisy numbers). */
/** BENCH_SHARE_MONITOR=0: one monitor stream per connection per hop, as Go NSM (sandbox `shareMonitorStreams`). */
export const shareMonitorStreams = process.env['BENCH_SHARE_MONITOR'] !== '0';

export const loadAverage = (): number => round(loadavg()[0] ?? NaN, 2);

/** Rounds to `digits` decimals, for readable JSON and tables. */
export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/**
 * A realistic NetworkService request: 4 path segments, labels, a kernel mechanism with 3 parameters and an IP
 * context with 2 addresses.
 */
export function sampleRequest(id: string): NetworkServiceRequest {
  return NetworkServiceRequest.fromPartial({
    connection: {
      id,
      networkService: 'icmp-responder',
      labels: { app: 'nsc-kernel', namespace: 'default', nodeName: 'worker-1' },
      mechanism: {
        cls: 'LOCAL',
        type: 'KERNEL',
        parameters: { name: 'nsm-1', netnsURL: 'file:///proc/4242/fd/7', inodeURL: 'inode://4/4026532338' },
      },
      context: { ipContext: { srcIpAddrs: ['172.16.1.97/32'], dstIpAddrs: ['172.16.1.96/32'] } },
      path: {
        index: 0,
        pathSegments: ['nsc', 'nsmgr-1', 'forwarder-1', 'nse'].map((name, i) => ({
          name,
          id: `${id}-${i}`,
          token: `token-${name}-${'x'.repeat(64)}`,
          expires: { seconds: 1_900_000_000, nanos: 0 },
        })),
      },
    },
  });
}
