/**
 * Shared pieces of the kernel data-plane benchmarks (bench/dataplane-*.ts): throwaway network namespaces
 * (`nsmbench-<random>-<role>`, deleted by `Lab.dispose()`, also on SIGINT/SIGTERM), an underlay between two
 * node namespaces, checks and percentiles. Addresses: 172.29.x.x and fd29:: only, so no traffic leaves the
 * namespaces. The forwarder chains are in dataplane-chains.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CallContext } from '../src/chain/context.js';
import { findExecutable } from '../src/kernel/index.js';
import { quantile, round, writeResults } from './lib.js';

const exec = promisify(execFile);
export const bg = (): CallContext => CallContext.background();
export const ip = async (...args: string[]): Promise<string> =>
  (await exec('ip', args, { timeout: 60_000 })).stdout;
export const UNDERLAY = ['172.29.255.1', '172.29.255.2'] as const;

/** Exits (status 0) with a message, recorded as `{ skipped }` in its results file, unless `why` is undefined. */
export function skipIf(benchmark: string, why: string | undefined): void {
  if (why === undefined) return;
  console.log(`${benchmark} skipped: ${why}`);
  try {
    writeResults(benchmark, { skipped: why });
  } catch (error) {
    console.log(`(not recorded in bench/results: ${error instanceof Error ? error.message : String(error)})`);
  }
  process.exit(0);
}

/** Skips (`skipIf`) when this process can't make namespaces: not root, or no ip/nsenter. */
export async function exitUnlessAble(benchmark: string): Promise<void> {
  if (process.getuid?.() !== 0) skipIf(benchmark, 'not root');
  for (const tool of ['ip', 'nsenter']) {
    if ((await findExecutable(tool)) === undefined) skipIf(benchmark, `no ${tool} binary`);
  }
}

/** Namespaces made for one benchmark; `dispose()` deletes them (every link in them goes too). */
export class Lab {
  readonly prefix = `nsmbench-${randomBytes(3).toString('hex')}`;
  readonly #names: string[] = [];
  readonly #onSignal = (): void => void this.dispose().finally(() => process.exit(130));

  constructor() {
    process.once('SIGINT', this.#onSignal).once('SIGTERM', this.#onSignal);
  }

  async add(role: string): Promise<string> {
    const name = `${this.prefix}-${role}`;
    await ip('netns', 'add', name);
    this.#names.push(name);
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** Deletes `name` now (it must be one of ours). */
  async remove(name: string): Promise<void> {
    const at = this.#names.indexOf(name);
    if (at >= 0) this.#names.splice(at, 1);
    await ip('netns', 'del', name).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    process.off('SIGINT', this.#onSignal).off('SIGTERM', this.#onSignal);
    for (const name of this.#names.splice(0)) await ip('netns', 'del', name).catch(() => undefined);
  }
}

/** Joins two node namespaces with a veth `ul0` carrying 172.29.255.1/30 and .2/30. */
export async function underlay(nodeA: string, nodeB: string): Promise<void> {
  await ip('link', 'add', 'ul0', 'netns', nodeA, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', nodeB);
  for (const [i, ns] of [nodeA, nodeB].entries()) {
    await ip('-n', ns, 'addr', 'add', `${UNDERLAY[i]}/30`, 'dev', 'ul0');
    await ip('-n', ns, 'link', 'set', 'ul0', 'up');
  }
}

/** True when `name` (default: any link but lo and ul0) in `ns` is UP with a global address (checked untimed). */
export async function isUp(ns: string, name?: string): Promise<boolean> {
  const rows = JSON.parse(await ip('-n', ns, '-j', 'addr', 'show', ...(name ? ['dev', name] : []))) as {
    ifname: string;
    flags: string[];
    addr_info: { scope: string }[];
  }[];
  const row = rows.find((r) => r.ifname !== 'lo' && r.ifname !== 'ul0');
  return row !== undefined && row.flags.includes('UP') && row.addr_info.some((a) => a.scope === 'global');
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(quantile(s, 0.5), 2),
    p99: round(quantile(s, 0.99), 2),
    max: round(s.at(-1) ?? NaN, 2),
  };
}
