import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isStatusError } from '../chain/errors.js';
import {
  checkIfName,
  configureCommands,
  createVeth,
  createVxlan,
  deleteLink,
  deleteOwnedLink,
  KernelCommandError,
  parseLinks,
  showLink,
  unconfigureLink,
  type IpRunner,
} from './index.js';

/** Records command lines; answers `link show` with `links` and fails what `fail` returns a message for. */
function recorder(links: object[] = [], fail: (line: string) => string | undefined = () => undefined) {
  const lines: string[] = [];
  const exec = async (args: readonly string[]): Promise<string> => {
    const line = args.join(' ');
    lines.push(line);
    const message = fail(line);
    if (message !== undefined) throw new KernelCommandError(line, message);
    return line === 'link show' ? JSON.stringify(links) : '';
  };
  const runner: IpRunner = {
    netnsPath: '/proc/1/ns/net',
    run: exec,
    async runAll(commands) {
      const results = await Promise.allSettled(commands.map(exec));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return results.map((r) => (r as PromiseFulfilledResult<string>).value);
    },
  };
  return { runner, lines };
}

const reasonOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isStatusError(error) ? error.reason : 'not a StatusError';
  }
  return undefined;
};

const links = suite('kernel/links');

links('configureCommands: dump, one link set, dump, addresses (IPv6 nodad), link routes, routes', () => {
  const commands = configureCommands('nsm-1', {
    alias: 'nsm-abc',
    mtu: 1400,
    addresses: ['10.0.0.2/32', 'fd00::2/128'],
    linkRoutes: ['10.0.0.1/32'],
    routes: [{ prefix: '10.1.0.0/16', via: '10.0.0.1' }, { prefix: '10.2.0.0/16' }],
  }).map((c) => c.join(' '));
  assert.equal(commands, [
    'link show',
    'link set dev nsm-1 alias nsm-abc mtu 1400 up',
    'link show',
    'addr replace 10.0.0.2/32 dev nsm-1',
    'addr replace fd00::2/128 dev nsm-1 nodad',
    'route replace 10.0.0.1/32 dev nsm-1 scope link',
    'route replace 10.1.0.0/16 via 10.0.0.1 dev nsm-1 onlink',
    'route replace 10.2.0.0/16 dev nsm-1 scope global',
  ]);
  assert.equal(
    configureCommands('x', { addresses: [], linkRoutes: [], routes: [] }).map((c) => c.join(' ')),
    ['link show', 'link set dev x up', 'link show'],
  );
});

links('checks names, addresses and numbers before anything is sent', async () => {
  for (const name of ['', 'a'.repeat(16), 'a/b', 'a:b', 'a b', '.', '..', 'a"b', "a'b", 'a#b']) {
    assert.is(
      reasonOf(() => checkIfName(name)),
      'KERNEL_BAD_ARGUMENT',
      JSON.stringify(name),
    );
  }
  assert.is(checkIfName('a'.repeat(15)), 'a'.repeat(15));
  const none = { addresses: [], linkRoutes: [], routes: [] };
  assert.is(
    reasonOf(() => configureCommands('x', { ...none, addresses: ['10.0.0.1'] })),
    'KERNEL_BAD_ARGUMENT',
  );
  assert.is(
    reasonOf(() => configureCommands('x', { ...none, addresses: ['10.0.0.1/33'] })),
    'KERNEL_BAD_ARGUMENT',
  );
  assert.is(
    reasonOf(() => configureCommands('x', { ...none, mtu: 20 })),
    'KERNEL_BAD_ARGUMENT',
  );
  const bad = { ...none, routes: [{ prefix: '10.0.0.0/8', via: 'x' }] };
  assert.is(
    reasonOf(() => configureCommands('x', bad)),
    'KERNEL_BAD_ARGUMENT',
  );
  const { runner, lines } = recorder();
  const vxlan = { name: 'v', netnsPath: '/p', vni: 1, local: '10.0.0.1', remote: '10.0.0.2', dstPort: 4789 };
  for (const options of [
    { ...vxlan, vni: 0 },
    { ...vxlan, vni: 1 << 24 },
    { ...vxlan, local: 'x' },
    { ...vxlan, dstPort: 0 },
  ]) {
    try {
      await createVxlan(runner, options);
      assert.unreachable();
    } catch (error) {
      assert.ok(isStatusError(error) && error.reason === 'KERNEL_BAD_ARGUMENT');
    }
  }
  assert.equal(lines, []);
});

links('creates a veth and a vxlan in place with one command each', async () => {
  const { runner, lines } = recorder();
  await createVeth(runner, { name: 'nsm-1', peerName: 'eth1', peerNetnsPath: '/proc/9/ns/net', mtu: 1450 });
  await createVeth(runner, { name: 'a', peerName: 'b', peerNetnsPath: '/run/netns/x' });
  await createVxlan(runner, {
    name: 'nsm-1',
    netnsPath: '/proc/9/ns/net',
    vni: 4242,
    local: '172.16.0.1',
    remote: '172.16.0.2',
    dstPort: 4789,
    mtu: 1450,
  });
  assert.equal(lines, [
    'link add name nsm-1 mtu 1450 type veth peer name eth1 mtu 1450 netns /proc/9/ns/net',
    'link add name a type veth peer name b netns /run/netns/x',
    'link add name nsm-1 netns /proc/9/ns/net mtu 1450 type vxlan id 4242 local 172.16.0.1 remote 172.16.0.2 dstport 4789',
  ]);
});

links(
  'reads links from the dump and deletes only what exists (and, when asked, only what is owned)',
  async () => {
    const rows = [
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536 },
      { ifindex: 7, link_index: 8, ifname: 'nsm-1', ifalias: 'nsm-a', flags: ['UP'], mtu: 1500 },
    ];
    assert.equal(parseLinks(JSON.stringify(rows))[1], {
      ifindex: 7,
      name: 'nsm-1',
      alias: 'nsm-a',
      mtu: 1500,
      up: true,
      peerIfindex: 8,
    });
    assert.equal(parseLinks(''), []);
    const missing = (line: string): string | undefined =>
      line.startsWith('link del dev gone') ? 'Cannot find device "gone"' : undefined;
    const { runner, lines } = recorder(rows, missing);
    assert.is((await showLink(runner, 'nsm-1'))?.ifindex, 7);
    assert.is(await showLink(runner, 'other'), undefined);
    assert.is(await deleteLink(runner, 'gone'), false);
    assert.is(await deleteOwnedLink(runner, 'nsm-1', 'nsm-b'), false, 'someone else owns it now');
    assert.is(await deleteOwnedLink(runner, 'nsm-1', 'nsm-a'), true);
    assert.equal(
      lines.filter((l) => l.startsWith('link del')),
      ['link del dev gone', 'link del dev nsm-1'],
    );
  },
);

links('unconfigureLink removes routes then addresses and ignores what is already gone', async () => {
  const { runner, lines } = recorder([], (line) =>
    line.startsWith('addr del') ? 'Error: ipv4: Address not found.' : undefined,
  );
  await unconfigureLink(runner, 'nsm-1', {
    addresses: ['10.0.0.2/32'],
    linkRoutes: ['10.0.0.1/32'],
    routes: [{ prefix: '10.1.0.0/16', via: '10.0.0.1' }],
  });
  assert.equal(lines, [
    'link show',
    'route del 10.0.0.1/32 dev nsm-1',
    'route del 10.1.0.0/16 dev nsm-1',
    'addr del 10.0.0.2/32 dev nsm-1',
  ]);
});

links.run();
