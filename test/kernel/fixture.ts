/**
 * Real network namespaces for the kernel data-plane tests. They need root and a working `ip netns add`; when
 * either is missing the suites are skipped with a message. Namespaces are named `nsmtest-<random>-<role>` and
 * only use 172.31.x.x and fd00:: addresses, so nothing leaves them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { findExecutable, NetlinkPool } from '../../src/kernel/index.js';

const exec = promisify(execFile);

/** Runs `ip <args>`; returns stdout. */
export async function ip(...args: string[]): Promise<string> {
  return (await exec('ip', args)).stdout;
}

/** Runs `ip <args>`; resolves false instead of throwing. */
export async function ipOk(...args: string[]): Promise<boolean> {
  return ip(...args).then(
    () => true,
    () => false,
  );
}

async function probe(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root';
  if ((await findExecutable('ip')) === undefined) return 'no ip binary (iproute2)';
  if ((await findExecutable('nsenter')) === undefined) return 'no nsenter (util-linux)';
  const name = `nsmtest-${randomBytes(4).toString('hex')}-probe`;
  try {
    await ip('netns', 'add', name);
  } catch (error) {
    return `"ip netns add" failed: ${error instanceof Error ? error.message.trim() : String(error)}`;
  }
  await ip('netns', 'del', name);
  return undefined;
}

/** Why the real-kernel tests can't run here, or undefined when they can. */
export const skipReason = await probe();
/** Why ping checks are skipped (ping is installed by .ci/run via iputils-ping), or undefined. */
export const pingSkipReason =
  (await findExecutable('ping')) === undefined
    ? 'ping not installed (apt-get install iputils-ping)'
    : undefined;

// Printed once: this module is loaded once per run.
if (skipReason !== undefined) console.log(`real-kernel tests (test/kernel) skipped: ${skipReason}`);
else if (pingSkipReason !== undefined) console.log(`ping checks in test/kernel skipped: ${pingSkipReason}`);

/** A set of namespaces created for one test, deleted by `dispose()`. */
export class Namespaces {
  readonly prefix = `nsmtest-${randomBytes(4).toString('hex')}`;
  readonly #names: string[] = [];

  async add(role: string): Promise<string> {
    const name = `${this.prefix}-${role}`;
    await ip('netns', 'add', name);
    this.#names.push(name);
    return name;
  }

  async dispose(): Promise<void> {
    for (const name of this.#names.splice(0)) await ip('netns', 'del', name).catch(() => undefined);
  }
}

export interface LinkRow {
  ifindex: number;
  ifname: string;
  ifalias?: string;
  mtu: number;
  flags: string[];
}

export async function links(ns: string): Promise<LinkRow[]> {
  return JSON.parse(await ip('-n', ns, '-j', 'link', 'show')) as LinkRow[];
}

export async function link(ns: string, name: string): Promise<LinkRow | undefined> {
  return (await links(ns)).find((l) => l.ifname === name);
}

/** Global-scope addresses in `ns`, as `addr/len`. */
export async function addresses(ns: string): Promise<string[]> {
  const rows = JSON.parse(await ip('-n', ns, '-j', 'addr', 'show')) as {
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return rows.flatMap((r) =>
    r.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
  );
}

/** Routes in the main table of `ns` (both families), as `ip route` prints them, without kernel ones. */
export async function routes(ns: string): Promise<string[]> {
  const v4 = await ip('-n', ns, 'route', 'show');
  const v6 = await ip('-n', ns, '-6', 'route', 'show');
  return [...v4.split('\n'), ...v6.split('\n')]
    .map((l) => l.trim())
    .filter(
      (l) => l !== '' && !l.includes('proto kernel') && !l.startsWith('fe80::') && !l.startsWith('multicast'),
    );
}

/** `ping -c 1 -W 1 <dst>` inside `ns`: true when a reply came back. */
export async function ping(ns: string, dst: string): Promise<boolean> {
  return exec('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', dst]).then(
    () => true,
    () => false,
  );
}

/** True when no process with this pid exists any more. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Gives each test of `test` fresh namespaces and a fresh channel pool (handed to `use`), and after it closes the
 * pool, deletes the namespaces and asserts that every `ip` channel process is gone.
 */
export function freshKernelEach(
  test: Test,
  use: (fresh: { nss: Namespaces; pool: NetlinkPool }) => void,
): void {
  let current: { nss: Namespaces; pool: NetlinkPool } | undefined;
  test.before.each(() => {
    current = { nss: new Namespaces(), pool: new NetlinkPool() };
    use(current);
  });
  test.after.each(async () => {
    if (current === undefined) return;
    const { nss, pool } = current;
    const pids = pool.pids;
    await pool.close();
    await nss.dispose();
    assert.ok(pids.every(processGone), 'every ip channel process is gone');
  });
}
