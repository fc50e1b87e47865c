import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isStatusError } from '../chain/errors.js';
import { manualClock } from '../testing/index.js';
import { findExecutable, IpChannel, KernelCommandError, NetlinkPool, statNetns } from './index.js';

// These run `ip` in this process's own namespace (read-only commands and failing ones): no root needed.
const ipMissing = (await findExecutable('ip')) === undefined;

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/** Turns the event loop until `pid` has exited (a child's exit is I/O, not time). */
async function exited(pid: number): Promise<boolean> {
  for (let i = 0; i < 100_000 && !gone(pid); i++) await new Promise((resolve) => setImmediate(resolve));
  return gone(pid);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const reasonOf = (error: unknown): string | undefined => (isStatusError(error) ? error.reason : undefined);

const channel = suite('kernel/ip-channel');
const it = ipMissing ? channel.skip.bind(channel) : channel;

it('runs 1000 commands through one process and matches every reply and failure to its command', async () => {
  const ip = await IpChannel.open();
  const commands = Array.from({ length: 1000 }, (_, i) =>
    i % 10 === 3 ? ['link', 'set', 'dev', `nsmx${i}`, 'up'] : ['link', 'show', 'dev', 'lo'],
  );
  const results = await Promise.allSettled(commands.map((args) => ip.run(args)));
  results.forEach((result, i) => {
    if (i % 10 === 3) {
      assert.is(result.status, 'rejected', `command ${i}`);
      const error = (result as PromiseRejectedResult).reason as KernelCommandError;
      assert.instance(error, KernelCommandError);
      assert.is(error.command, `link set dev nsmx${i} up`);
      assert.is(error.output, `Cannot find device "nsmx${i}"`);
      assert.is(error.reason, 'KERNEL_NOT_FOUND');
    } else {
      assert.is(result.status, 'fulfilled', `command ${i}`);
      const [lo] = JSON.parse((result as PromiseFulfilledResult<string>).value) as { ifname: string }[];
      assert.is(lo?.ifname, 'lo');
    }
  });
  assert.is(ip.inFlight, 0);
  assert.not.ok(ip.closed);
  await ip.close();
  assert.ok(await exited(ip.pid));
});

it('runAll runs every command and rejects with the first failure', async () => {
  const ip = await IpChannel.open();
  const error = await rejection(
    ip.runAll([
      ['link', 'show', 'dev', 'lo'],
      ['link', 'set', 'dev', 'nsm-nope-a', 'up'],
      ['link', 'set', 'dev', 'nsm-nope-b', 'up'],
    ]),
  );
  assert.is((error as KernelCommandError).command, 'link set dev nsm-nope-a up');
  const [lo = ''] = await ip.runAll([['link', 'show', 'dev', 'lo']]);
  assert.match(lo, '"ifname":"lo"');
  await ip.close();
});

it('reports the message of a command ip exits on, and fails the commands queued behind it', async () => {
  const ip = await IpChannel.open();
  const bad = ip.run(['link', 'set', 'dev', 'lo', 'mtu', 'abc']);
  const behind = ip.run(['link', 'show', 'dev', 'lo']);
  const error = await rejection(bad);
  assert.is((error as KernelCommandError).command, 'link set dev lo mtu abc');
  assert.match((error as KernelCommandError).output, 'Invalid "mtu" value');
  assert.is(reasonOf(await rejection(behind)), 'KERNEL_CHANNEL_CLOSED');
  assert.ok(ip.closed);
  assert.ok(await exited(ip.pid));
  assert.is(reasonOf(await rejection(ip.run(['link', 'show']))), 'KERNEL_CHANNEL_CLOSED');
});

it('refuses arguments ip would split, quote or comment, without sending anything', async () => {
  const ip = await IpChannel.open();
  for (const args of [
    ['link', 'show', 'dev', 'a b'],
    ['link', 'show', 'dev', 'a"b'],
    ['link', '#x'],
    ['link', ''],
    [],
  ]) {
    assert.is(reasonOf(await rejection(ip.run(args))), 'KERNEL_BAD_ARGUMENT', JSON.stringify(args));
  }
  assert.is(reasonOf(await rejection(ip.runAll([['link', 'show'], ['a\nb']]))), 'KERNEL_BAD_ARGUMENT');
  assert.is(ip.inFlight, 0, 'nothing was sent');
  assert.match(await ip.run(['link', 'show', 'dev', 'lo']), '"ifname":"lo"');
  await ip.close();
});

it('close lets queued commands finish, ends the process and refuses new commands', async () => {
  const ip = await IpChannel.open();
  const queued = ip.run(['link', 'show', 'dev', 'lo']);
  await ip.close();
  assert.match(await queued, '"ifname":"lo"');
  assert.ok(gone(ip.pid));
  assert.is(reasonOf(await rejection(ip.run(['link', 'show']))), 'KERNEL_CHANNEL_CLOSED');
  await ip.close(); // idempotent
});

it('fails to open with KERNEL_CHANNEL_START_FAILED when ip or the namespace is missing', async () => {
  assert.is(
    reasonOf(await rejection(IpChannel.open({ ipPath: '/nonexistent/ip' }))),
    'KERNEL_CHANNEL_START_FAILED',
  );
  const error = await rejection(IpChannel.open({ netnsPath: '/nonexistent/netns' }));
  assert.is(reasonOf(error), 'KERNEL_CHANNEL_START_FAILED');
});

channel.run();

const pool = suite('kernel/pool');
const poolIt = ipMissing ? pool.skip.bind(pool) : pool;

poolIt('keeps one channel per namespace and closes them all on close, leaving no process', async () => {
  const netlink = new NetlinkPool();
  const own = await statNetns('/proc/self/ns/net');
  const first = await netlink.withChannels([undefined], async ([ch]) => (ch as IpChannel).pid);
  const second = await netlink.withChannels([own], async ([ch]) => (ch as IpChannel).pid);
  assert.is(first, second, 'this process namespace, by identity or by default, is one channel');
  assert.equal(netlink.pids, [first]);
  await netlink.close();
  assert.is(netlink.size, 0);
  assert.ok(gone(first));
  const error = await rejection(netlink.withChannels([undefined], async () => undefined));
  assert.is(reasonOf(error), 'KERNEL_POOL_CLOSED');
});

poolIt('closes a channel unused for idleMs and opens a new one when needed again', async () => {
  const clock = manualClock();
  const netlink = new NetlinkPool({ clock, idleMs: 1000 });
  const first = await netlink.withChannels([undefined], async ([ch]) => (ch as IpChannel).pid);
  clock.advance(999);
  assert.is(netlink.size, 1);
  clock.advance(1);
  assert.is(netlink.size, 0, 'dropped when idle');
  assert.ok(await exited(first));
  const second = await netlink.withChannels([undefined], async ([ch]) => (ch as IpChannel).pid);
  assert.is.not(second, first);
  await netlink.close();
  assert.ok(gone(second));
});

poolIt('does not close a channel while it is held', async () => {
  const clock = manualClock();
  const netlink = new NetlinkPool({ clock, idleMs: 10 });
  await netlink.withChannels([undefined], async ([ch]) => {
    clock.advance(100);
    assert.match(await ch!.run(['link', 'show', 'dev', 'lo']), '"ifname":"lo"');
  });
  assert.is(netlink.size, 1);
  await netlink.close();
});

pool.run();
