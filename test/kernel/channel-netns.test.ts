/**
 * The kernel library in real namespaces: channels enter the right namespace, a namespace that is gone is
 * reported as such, and links re-created behind a channel's back (ip's name cache) are still found. Root only.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isStatusError } from '../../src/chain/errors.js';
import {
  configureLink,
  deleteLink,
  inodeUrl,
  type NetlinkPool,
  showLink,
  statNetns,
  type IpChannel,
} from '../../src/kernel/index.js';
import { addresses, ip, link, type Namespaces, freshKernelEach, skipReason } from './fixture.js';

const test = suite('kernel library (real kernel): channels in namespaces');
const it = skipReason === undefined ? test : test.skip.bind(test);

let nss: Namespaces;
let pool: NetlinkPool;
freshKernelEach(test, (fresh) => {
  ({ nss, pool } = fresh);
});

it('opens a channel inside the namespace an inode URL names', async () => {
  const name = await nss.add('pod');
  await ip('-n', name, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1');
  const ns = await pool.resolve(inodeUrl((await statNetns(`/run/netns/${name}`))!));
  const found = await pool.withChannels([ns], async ([channel]) => {
    const entered = await statNetns((channel as IpChannel).netnsPath);
    assert.is(entered?.ino, ns.ino, 'the process sits in that namespace');
    return showLink(channel!, 'probe0');
  });
  assert.ok(found);
});

it('reports a namespace that is gone with KERNEL_NETNS_NOT_FOUND', async () => {
  const name = await nss.add('gone');
  const ns = (await statNetns(`/run/netns/${name}`))!;
  await ip('netns', 'del', name);
  try {
    await pool.withChannels([ns], async () => undefined);
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error), String(error));
    assert.is(error.reason, 'KERNEL_NETNS_NOT_FOUND');
  }
  try {
    await pool.resolve(`/run/netns/${name}`);
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error) && error.reason === 'KERNEL_NETNS_NOT_FOUND');
  }
});

it('keeps working on links deleted and re-created behind its back (ip caches names per process)', async () => {
  const name = await nss.add('pod');
  const ns = (await statNetns(`/run/netns/${name}`))!;
  const config = { alias: 'nsm-x', addresses: ['172.31.9.1/32'], linkRoutes: ['172.31.9.2/32'], routes: [] };
  await ip('-n', name, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'y0');
  await pool.withChannels([ns], async ([channel]) => {
    const first = await configureLink(channel!, 'x0', config);
    // Someone else deletes x0 and makes a new x0: the channel's ip has the old ifindex cached.
    await ip('-n', name, 'link', 'del', 'x0');
    assert.is(await showLink(channel!, 'x0'), undefined, 'a missing link reads as missing');
    await ip('-n', name, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'y1');
    const second = await configureLink(channel!, 'x0', config);
    assert.ok(first && second && first.ifindex !== second.ifindex);
    assert.is(second.ifindex, (await link(name, 'x0'))!.ifindex);
    assert.equal(await addresses(name), ['172.31.9.1/32']);
    assert.is(await deleteLink(channel!, 'x0'), true);
    assert.is(await deleteLink(channel!, 'x0'), false);
  });
  assert.is(pool.size, 1, 'one channel did all of it');
});

test.run();
