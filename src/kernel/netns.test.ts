import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Code, isStatusError } from '../chain/errors.js';
import { inodeUrl, listNetns, netnsKey, NetnsResolver, parseNetnsUrl, statNetns } from './index.js';

function failure(fn: () => unknown): { code: number; reason: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (isStatusError(error)) return { code: error.code, reason: error.reason };
    throw error;
  }
  throw new Error('expected a failure');
}

async function rejection(promise: Promise<unknown>): Promise<{ code: number; reason: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (isStatusError(error)) return { code: error.code, reason: error.reason };
    throw error;
  }
  throw new Error('expected a rejection');
}

const parse = suite('kernel/netns: parseNetnsUrl');

parse('reads file URLs, paths, /run/netns names and inode URLs', () => {
  assert.equal(parseNetnsUrl('file:///proc/42/ns/net'), { kind: 'path', path: '/proc/42/ns/net' });
  assert.equal(parseNetnsUrl('file:///proc/42/fd/7'), { kind: 'path', path: '/proc/42/fd/7' });
  assert.equal(parseNetnsUrl('/run/netns/blue'), { kind: 'path', path: '/run/netns/blue' });
  assert.equal(parseNetnsUrl('blue'), { kind: 'path', path: '/run/netns/blue' });
  assert.equal(parseNetnsUrl('inode://4/4026531840'), { kind: 'inode', dev: 4, ino: 4026531840 });
});

parse("rejects the sender's own namespace as unresolvable", () => {
  for (const url of [
    'file:///proc/thread-self/ns/net',
    'file:///proc/self/ns/net',
    '/proc/thread-self/ns/net',
  ]) {
    assert.equal(
      failure(() => parseNetnsUrl(url)),
      {
        code: Code.INVALID_ARGUMENT,
        reason: 'KERNEL_NETNS_UNRESOLVABLE',
      },
    );
  }
});

parse('rejects what is not a namespace URL', () => {
  for (const url of [
    '',
    'a b',
    'inode://x/1',
    'inode://4',
    'http://host/x',
    'file://host/proc/1/ns/net',
    '../x',
  ]) {
    assert.equal(
      failure(() => parseNetnsUrl(url)),
      { code: Code.INVALID_ARGUMENT, reason: 'KERNEL_NETNS_BAD_URL' },
      url,
    );
  }
});

parse.run();

const resolve = suite('kernel/netns: resolving');

resolve('resolves a /proc path to its identity', async () => {
  const own = (await statNetns('/proc/self/ns/net'))!;
  const resolved = await new NetnsResolver().resolve(`file:///proc/${process.pid}/ns/net`);
  assert.is(netnsKey(resolved), netnsKey(own));
  assert.is(resolved.path, `/proc/${process.pid}/ns/net`);
});

resolve(
  'resolves inode://dev/ino by scanning /proc, and finds it again after its path went away',
  async () => {
    const own = (await statNetns('/proc/self/ns/net'))!;
    const resolver = new NetnsResolver();
    const resolved = await resolver.resolve(inodeUrl(own));
    assert.is(netnsKey(resolved), netnsKey(own));
    const moved = await resolver.locate({ ...own, path: '/nonexistent/ns' });
    assert.is(moved && netnsKey(moved), netnsKey(own));
  },
);

resolve('fails with KERNEL_NETNS_NOT_FOUND for what does not exist', async () => {
  const resolver = new NetnsResolver();
  const notFound = { code: Code.FAILED_PRECONDITION, reason: 'KERNEL_NETNS_NOT_FOUND' };
  assert.equal(await rejection(resolver.resolve('/nonexistent/ns')), notFound);
  assert.equal(await rejection(resolver.resolve('nsm-no-such-netns')), notFound);
  assert.equal(await rejection(resolver.resolve('inode://4/1')), notFound);
  assert.is(await resolver.locate({ path: '/nonexistent', dev: 4, ino: 1 }), undefined);
});

resolve('lists the namespaces on the node, this one included', async () => {
  const own = (await statNetns('/proc/self/ns/net'))!;
  const all = await listNetns();
  assert.ok(all.some((ns) => netnsKey(ns) === netnsKey(own)));
  assert.is(new Set(all.map(netnsKey)).size, all.length, 'one entry per namespace');
});

resolve.run();
