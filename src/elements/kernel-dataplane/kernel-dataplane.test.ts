import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, Mechanism } from '../../api/gen/connection.js';
import { ConnectionContext } from '../../api/gen/connectioncontext.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { KernelCommandError, type IpRunner, type NetlinkChannels, type Netns } from '../../kernel/index.js';
import { count, injectError } from '../../testing/index.js';
import { beginServer } from '../begin/index.js';
import { mechanismTranslationClient } from '../mechanism-translation/index.js';
import { kernelMechanism, vxlanMechanism } from '../mechanisms/index.js';
import { metadata } from '../metadata/index.js';
import {
  aliasFor,
  kernelDataPlaneClient,
  kernelDataPlaneServer,
  reconcile,
  type KernelDataPlaneOptions,
} from './index.js';

interface FakeLink {
  ifindex: number;
  name: string;
  alias?: string;
  mtu: number;
  up: boolean;
  kind: 'veth' | 'vxlan' | 'other';
  peer?: { ns: string; name: string };
}

/**
 * A tiny in-memory stand-in for `NetlinkPool`: namespaces are `/fake/<name>`, links live in maps, and every
 * command line is recorded as `<ns>: <command>`. It understands the commands the data plane sends.
 */
class FakeKernel implements NetlinkChannels {
  readonly lines: string[] = [];
  readonly namespaces = new Map<string, Map<string, FakeLink>>();
  /** Return a message to make a command fail with it. */
  fail: (ns: string, line: string) => string | undefined = () => undefined;
  #next = 10;

  links(ns: string): Map<string, FakeLink> {
    let links = this.namespaces.get(ns);
    if (links === undefined) this.namespaces.set(ns, (links = new Map()));
    return links;
  }

  /** Adds a link someone else made. */
  addForeign(ns: string, name: string, alias?: string): void {
    this.links(ns).set(name, {
      ifindex: this.#next++,
      name,
      mtu: 1500,
      up: false,
      kind: 'other',
      ...(alias && { alias }),
    });
  }

  /** Commands sent to `ns`, or everywhere. */
  sent(ns?: string): string[] {
    return ns === undefined
      ? this.lines
      : this.lines.filter((l) => l.startsWith(`${ns}: `)).map((l) => l.slice(ns.length + 2));
  }

  async resolve(url: string): Promise<Netns> {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    const name = path.replace(/^\/fake\//, '');
    return { path, dev: 1, ino: [...name].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) };
  }

  async withChannels<T>(
    nss: readonly (Netns | undefined)[],
    fn: (channels: IpRunner[]) => Promise<T>,
  ): Promise<T> {
    return fn(nss.map((ns) => this.runner(ns === undefined ? 'own' : ns.path.replace(/^\/fake\//, ''))));
  }

  runner(ns: string): IpRunner {
    const run = async (args: readonly string[]): Promise<string> => this.exec(ns, args);
    return {
      netnsPath: `/fake/${ns}`,
      run,
      async runAll(commands) {
        const results = await Promise.allSettled(commands.map(run));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        return results.map((r) => (r as PromiseFulfilledResult<string>).value);
      },
    };
  }

  exec(ns: string, args: readonly string[]): string {
    const line = args.join(' ');
    this.lines.push(`${ns}: ${line}`);
    const message = this.fail(ns, line);
    if (message !== undefined) throw new KernelCommandError(line, message);
    const links = this.links(ns);
    const arg = (key: string, from = 0): string | undefined => {
      const i = args.indexOf(key, from);
      return i < 0 ? undefined : args[i + 1];
    };
    if (line === 'link show') {
      return JSON.stringify(
        [...links.values()].map((l) => ({
          ifindex: l.ifindex,
          ifname: l.name,
          mtu: l.mtu,
          flags: l.up ? ['UP'] : [],
          ...(l.alias && { ifalias: l.alias }),
        })),
      );
    }
    if (line.startsWith('link add')) return this.#add(ns, args, arg);
    const dev = arg('dev');
    const link = dev === undefined ? undefined : links.get(dev);
    if (link === undefined) throw new KernelCommandError(line, `Cannot find device "${dev}"`);
    if (line.startsWith('link del')) {
      links.delete(link.name);
      if (link.peer) this.links(link.peer.ns).delete(link.peer.name);
    } else if (line.startsWith('link set')) {
      const alias = arg('alias');
      const mtu = arg('mtu');
      if (alias !== undefined) link.alias = alias;
      if (mtu !== undefined) link.mtu = Number(mtu);
      if (args.includes('up')) link.up = true;
    }
    return '';
  }

  #add(ns: string, args: readonly string[], arg: (key: string, from?: number) => string | undefined): string {
    const line = args.join(' ');
    const name = arg('name') ?? '';
    const mtu = Number(arg('mtu') ?? 1500);
    if (args.includes('veth')) {
      const peerAt = args.indexOf('peer');
      const peerName = arg('name', peerAt) ?? '';
      const peerNs = (arg('netns', peerAt) ?? `/fake/${ns}`).replace(/^\/fake\//, '');
      if (this.links(ns).has(name) || this.links(peerNs).has(peerName)) {
        throw new KernelCommandError(line, 'RTNETLINK answers: File exists');
      }
      this.links(ns).set(name, {
        ifindex: this.#next++,
        name,
        mtu,
        up: false,
        kind: 'veth',
        peer: { ns: peerNs, name: peerName },
      });
      this.links(peerNs).set(peerName, {
        ifindex: this.#next++,
        name: peerName,
        mtu,
        up: false,
        kind: 'veth',
        peer: { ns, name },
      });
    } else {
      const target = (arg('netns') ?? `/fake/${ns}`).replace(/^\/fake\//, '');
      if (this.links(target).has(name)) throw new KernelCommandError(line, 'RTNETLINK answers: File exists');
      this.links(target).set(name, { ifindex: this.#next++, name, mtu, up: false, kind: 'vxlan' });
    }
    return '';
  }
}

const bg = (): CallContext => CallContext.background();

async function rejection(promise: Promise<unknown>): Promise<{ code: number; reason: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (isStatusError(error)) return { code: error.code, reason: error.reason };
    throw error;
  }
  throw new Error('expected a rejection');
}

const ipContext = {
  srcIpAddrs: ['10.0.0.2/32', 'fd00::2/128'],
  dstIpAddrs: ['10.0.0.1/32', 'fd00::1/128'],
  srcRoutes: [
    { prefix: '10.0.0.1/32' },
    { prefix: '10.9.0.0/16' },
    { prefix: '10.8.0.0/16', nextHop: '10.0.0.7' },
  ],
  dstRoutes: [{ prefix: '10.0.0.2/32' }],
};

interface NseOptions {
  mechanism?: () => Mechanism;
  context?: () => object;
}

/** The next hop: answers with the NSE's KERNEL mechanism (or `mechanism()`) and an IPContext. */
function nse(options: NseOptions = {}): NetworkServiceElement {
  return {
    name: 'nse',
    request: async (request) => ({
      ...request.connection!,
      mechanism:
        options.mechanism?.() ?? kernelMechanism({ netnsUrl: 'file:///fake/nse', interfaceName: 'nse-if' }),
      context: ConnectionContext.fromPartial((options.context?.() ?? { ipContext, MTU: 1400 }) as never),
    }),
  };
}

interface Setup {
  kernel?: FakeKernel;
  next?: NetworkServiceElement[];
  server?: Partial<KernelDataPlaneOptions>;
  client?: boolean;
}

function forwarder(setup: Setup = {}) {
  const kernel = setup.kernel ?? new FakeKernel();
  const counter = count();
  const handler = networkServiceHandler([
    beginServer(),
    metadata(),
    kernelDataPlaneServer({ pool: kernel, ...setup.server }),
    counter,
    mechanismTranslationClient(),
    ...(setup.client === false ? [] : [kernelDataPlaneClient()]),
    ...(setup.next ?? [nse()]),
  ]);
  return { kernel, counter, handler };
}

const request = (
  mechanism: Mechanism = kernelMechanism({ netnsUrl: 'file:///fake/nsc', interfaceName: 'nsm-1' }),
  id = 'conn-1',
) =>
  NetworkServiceRequest.fromPartial({
    connection: {
      id,
      networkService: 'svc',
      path: { index: 0, pathSegments: [{ id: `path-${id}`, name: 'nsc' }] },
      mechanism,
    },
  });

const local = suite('kernel-dataplane: local (veth between two pods)');

local('creates one veth in place between the pods and applies the IPContext to each end', async () => {
  const { kernel, handler } = forwarder();
  const conn = await handler.request(request(), bg());
  assert.is(conn.mechanism?.parameters['name'], 'nsm-1', 'the client keeps its mechanism');
  assert.equal(kernel.sent('nsc'), [
    'link add name nsm-1 mtu 1400 type veth peer name nse-if mtu 1400 netns /fake/nse',
    'link show',
    'link set dev nsm-1 alias nsm-path-conn-1 mtu 1400 up',
    'link show',
    'addr replace 10.0.0.2/32 dev nsm-1',
    'addr replace fd00::2/128 dev nsm-1 nodad',
    'route replace 10.0.0.1/32 dev nsm-1 scope link',
    'route replace fd00::1/128 dev nsm-1 scope link',
    'route replace 10.0.0.1/32 dev nsm-1 scope global',
    'route replace 10.9.0.0/16 via 10.0.0.1 dev nsm-1 onlink',
    'route replace 10.8.0.0/16 via 10.0.0.7 dev nsm-1 onlink',
  ]);
  assert.equal(kernel.sent('nse'), [
    'link show',
    'link set dev nse-if alias nsm-path-conn-1 mtu 1400 up',
    'link show',
    'addr replace 10.0.0.1/32 dev nse-if',
    'addr replace fd00::1/128 dev nse-if nodad',
    'route replace 10.0.0.2/32 dev nse-if scope link',
    'route replace fd00::2/128 dev nse-if scope link',
    'route replace 10.0.0.2/32 dev nse-if scope global',
  ]);
  assert.is(kernel.links('nsc').get('nsm-1')?.up, true);
  assert.is(kernel.links('nse').get('nse-if')?.alias, 'nsm-path-conn-1');
});

local('a refresh keeps the links and sends nothing but checks when nothing changed', async () => {
  const { kernel, handler } = forwarder();
  const conn = await handler.request(request(), bg());
  const ifindex = kernel.links('nsc').get('nsm-1')?.ifindex;
  kernel.lines.length = 0;
  await handler.request({ ...request(), connection: conn }, bg());
  assert.equal(kernel.lines, ['nsc: link show', 'nse: link show']);
  assert.is(kernel.links('nsc').get('nsm-1')?.ifindex, ifindex);
});

local('a refresh with a changed IPContext re-applies only the difference, on the same links', async () => {
  let context: object = { ipContext, MTU: 1400 };
  const { kernel, handler } = forwarder({ next: [nse({ context: () => context })] });
  const conn = await handler.request(request(), bg());
  const srcRoutes = [{ prefix: '10.0.0.1/32' }, { prefix: '10.7.0.0/16' }];
  context = { ipContext: { ...ipContext, srcRoutes }, MTU: 1400 };
  kernel.lines.length = 0;
  await handler.request({ ...request(), connection: conn }, bg());
  assert.not.ok(
    kernel.lines.some((l) => l.includes('link add')),
    'nothing re-created',
  );
  const nsc = kernel.sent('nsc');
  assert.ok(nsc.includes('route del 10.9.0.0/16 dev nsm-1'));
  assert.ok(nsc.includes('route del 10.8.0.0/16 dev nsm-1'));
  assert.not.ok(
    nsc.some((l) => l.startsWith('route del 10.0.0.1/32')),
    'a route still wanted stays',
  );
  assert.ok(nsc.includes('route replace 10.7.0.0/16 via 10.0.0.1 dev nsm-1 onlink'));
  assert.equal(kernel.sent('nse'), ['link show'], 'the NSE end did not change');

  context = { ipContext: { ...ipContext, srcIpAddrs: ['10.0.0.3/32'] }, MTU: 1400 };
  kernel.lines.length = 0;
  await handler.request({ ...request(), connection: conn }, bg());
  assert.ok(kernel.sent('nsc').includes('addr del 10.0.0.2/32 dev nsm-1'));
  assert.ok(kernel.sent('nsc').includes('addr replace 10.0.0.3/32 dev nsm-1'));
  assert.ok(
    kernel.sent('nse').includes('route replace 10.0.0.3/32 dev nse-if scope link'),
    'the NSE routes follow',
  );
  assert.ok(kernel.sent('nse').includes('route del fd00::2/128 dev nse-if'));
});

local('a refresh re-creates links that vanished', async () => {
  const { kernel, handler } = forwarder();
  const conn = await handler.request(request(), bg());
  kernel.exec('nsc', ['link', 'del', 'dev', 'nsm-1']);
  kernel.lines.length = 0;
  await handler.request({ ...request(), connection: conn }, bg());
  assert.ok(kernel.sent('nsc').some((l) => l.startsWith('link add name nsm-1')));
  assert.ok(kernel.links('nse').has('nse-if'));
});

local('close removes exactly the veth it made and closes the next hop', async () => {
  const { kernel, handler, counter } = forwarder();
  kernel.addForeign('nsc', 'eth0');
  const conn = await handler.request(request(), bg());
  kernel.lines.length = 0;
  await handler.close(conn, bg());
  assert.equal(kernel.sent('nsc'), ['link show', 'link del dev nsm-1']);
  assert.equal([...kernel.links('nsc').keys()], ['eth0']);
  assert.equal([...kernel.links('nse').keys()], []);
  assert.is(counter.closes, 1);
  kernel.lines.length = 0;
  await handler.close(conn, bg());
  assert.equal(kernel.lines, [], 'a second close has nothing to remove');
});

local('close leaves a link that another connection took over', async () => {
  const { kernel, handler } = forwarder();
  const conn = await handler.request(request(), bg());
  kernel.links('nsc').get('nsm-1')!.alias = 'nsm-someone-else';
  kernel.links('nse').get('nse-if')!.alias = 'nsm-someone-else';
  await handler.close(conn, bg());
  assert.ok(kernel.links('nsc').has('nsm-1'));
});

local.run();

const failures = suite('kernel-dataplane: failures and rollback');

failures('removes the veth and closes the next hop when configuring fails', async () => {
  const kernel = new FakeKernel();
  kernel.fail = (ns, line) => (ns === 'nse' && line.startsWith('addr replace') ? 'Error: boom' : undefined);
  const { handler, counter } = forwarder({ kernel });
  assert.equal(await rejection(handler.request(request(), bg())), {
    code: Code.INTERNAL,
    reason: 'KERNEL_COMMAND_FAILED',
  });
  assert.is(kernel.links('nsc').size, 0);
  assert.is(kernel.links('nse').size, 0);
  assert.is(counter.closes, 1, 'the next hop was closed');
  kernel.lines.length = 0;
  await handler.close(Connection.fromPartial({ id: 'conn-1' }), bg());
  assert.equal(kernel.lines, [], 'nothing is remembered');
});

failures('makes nothing when the next hop fails', async () => {
  const { kernel, handler } = forwarder({ next: [injectError({ requestCalls: [0] })] });
  await rejection(handler.request(request(), bg()));
  assert.equal(kernel.lines, []);
});

failures('a failed refresh removes the links and closes the next hop', async () => {
  const kernel = new FakeKernel();
  let context: object = { ipContext };
  const { handler, counter } = forwarder({ kernel, next: [nse({ context: () => context })] });
  const conn = await handler.request(request(), bg());
  context = { ipContext: { ...ipContext, srcIpAddrs: ['10.0.0.3/32'] } };
  kernel.fail = (_ns, line) => (line.startsWith('addr replace') ? 'Error: boom' : undefined);
  assert.is(
    (await rejection(handler.request({ ...request(), connection: conn }, bg()))).reason,
    'KERNEL_COMMAND_FAILED',
  );
  assert.is(kernel.links('nsc').size, 0);
  assert.is(counter.closes, 1);
});

failures('replaces a stale link it made before (same alias prefix), refuses a foreign one', async () => {
  const kernel = new FakeKernel();
  kernel.addForeign('nsc', 'nsm-1', 'nsm-left-over');
  const { handler } = forwarder({ kernel });
  await handler.request(request(), bg());
  assert.is(kernel.links('nsc').get('nsm-1')?.alias, 'nsm-path-conn-1');

  const other = new FakeKernel();
  other.addForeign('nse', 'nse-if');
  const second = forwarder({ kernel: other });
  assert.equal(await rejection(second.handler.request(request(), bg())), {
    code: Code.FAILED_PRECONDITION,
    reason: 'KERNEL_DATAPLANE_NAME_TAKEN',
  });
  assert.is(second.counter.closes, 1);
  assert.ok(other.links('nse').has('nse-if'), 'the foreign link is untouched');
});

failures.run();

const input = suite('kernel-dataplane: bad input');

input("rejects the sender's own /proc/thread-self namespace before calling the next hop", async () => {
  const { handler, counter, kernel } = forwarder();
  const mechanism = kernelMechanism({ netnsUrl: 'file:///proc/thread-self/ns/net', interfaceName: 'nsm-1' });
  assert.equal(await rejection(handler.request(request(mechanism), bg())), {
    code: Code.INVALID_ARGUMENT,
    reason: 'KERNEL_NETNS_UNRESOLVABLE',
  });
  assert.is(counter.requests, 0);
  assert.equal(kernel.lines, []);
});

input('rejects mechanisms it cannot wire and bad interface names', async () => {
  const memif = Mechanism.fromPartial({ cls: 'LOCAL', type: 'MEMIF' });
  assert.equal(await rejection(forwarder().handler.request(request(memif), bg())), {
    code: Code.INVALID_ARGUMENT,
    reason: 'KERNEL_DATAPLANE_UNSUPPORTED_MECHANISM',
  });
  const spaced = kernelMechanism({ netnsUrl: 'file:///fake/nsc', interfaceName: 'a b' });
  assert.equal(await rejection(forwarder().handler.request(request(spaced), bg())), {
    code: Code.INVALID_ARGUMENT,
    reason: 'KERNEL_BAD_ARGUMENT',
  });
  const noop = forwarder({
    next: [nse({ mechanism: () => Mechanism.fromPartial({ cls: 'LOCAL', type: 'NOOP' }) })],
  });
  assert.equal(await rejection(noop.handler.request(request(), bg())), {
    code: Code.INVALID_ARGUMENT,
    reason: 'KERNEL_DATAPLANE_UNSUPPORTED_MECHANISM',
  });
  assert.is(noop.counter.closes, 1, 'the next hop is closed after it succeeded');
});

input('rejects an endpoint mechanism without a name or netns', async () => {
  const unnamed = forwarder({
    next: [nse({ mechanism: () => kernelMechanism({ netnsUrl: 'file:///fake/nse' }) })],
  });
  assert.equal(await rejection(unnamed.handler.request(request(), bg())), {
    code: Code.INVALID_ARGUMENT,
    reason: 'KERNEL_DATAPLANE_BAD_MECHANISM',
  });
  const nowhere = forwarder({ next: [nse({ mechanism: () => kernelMechanism({ interfaceName: 'x' }) })] });
  assert.equal(
    (await rejection(nowhere.handler.request(request(), bg()))).reason,
    'KERNEL_DATAPLANE_BAD_MECHANISM',
  );
});

input('needs kernelDataPlaneClient in the onward client', async () => {
  const { handler, counter } = forwarder({ client: false });
  assert.equal(await rejection(handler.request(request(), bg())), {
    code: Code.INTERNAL,
    reason: 'KERNEL_DATAPLANE_NO_OUTGOING_MECHANISM',
  });
  assert.is(counter.closes, 1);
});

input('rejects a route prefix that is not a CIDR', async () => {
  const bad = forwarder({
    next: [
      nse({ context: () => ({ ipContext: { ...ipContext, srcRoutes: [{ prefix: 'x', nextHop: '' }] } }) }),
    ],
  });
  assert.equal(
    (await rejection(bad.handler.request(request(), bg()))).reason,
    'KERNEL_DATAPLANE_BAD_IP_CONTEXT',
  );
  assert.is(bad.kernel.links('nsc').size, 0);
});

input('validates its options', () => {
  const kernel = new FakeKernel();
  assert.throws(
    () => kernelDataPlaneServer({} as KernelDataPlaneOptions),
    (e: Error) => e.name === 'ConfigError',
  );
  assert.throws(
    () => kernelDataPlaneServer({ pool: kernel, tunnelIp: 'x' }),
    (e: Error) => e.name === 'ConfigError',
  );
  assert.throws(
    () => kernelDataPlaneServer({ pool: kernel, nodeNetns: 'a b' }),
    (e: Error) => e.name === 'ConfigError',
  );
  assert.throws(
    () => kernelDataPlaneServer({ pool: kernel, nodeNetns: 'file:///proc/thread-self/ns/net' }),
    (e: Error) => e.name === 'ConfigError',
  );
});

input.run();

const vxlan = suite('kernel-dataplane: remote (VXLAN)');

const tunnel = (params: Parameters<typeof vxlanMechanism>[0]) => (): Mechanism => vxlanMechanism(params);

vxlan(
  'on the NSC node: a VXLAN device made from the node namespace into the NSC pod, src → dst',
  async () => {
    const { kernel, handler } = forwarder({
      server: { nodeNetns: 'file:///fake/node' },
      next: [nse({ mechanism: tunnel({ srcIp: '192.0.2.1', dstIp: '192.0.2.2', vni: 77, dstPort: 4789 }) })],
    });
    await handler.request(request(), bg());
    assert.equal(kernel.sent('node'), [
      'link add name nsm-1 netns /fake/nsc mtu 1350 type vxlan id 77 local 192.0.2.1 remote 192.0.2.2 dstport 4789',
    ]);
    assert.is(kernel.sent('nsc')[1], 'link set dev nsm-1 alias nsm-path-conn-1 mtu 1350 up');
    assert.ok(kernel.sent('nsc').includes('addr replace 10.0.0.2/32 dev nsm-1'), 'the NSC addresses');
    assert.is(kernel.links('nsc').get('nsm-1')?.kind, 'vxlan');
  },
);

vxlan('on the NSE node: the device goes into the NSE pod, dst → src, with the NSE addresses', async () => {
  const incoming = vxlanMechanism({ srcIp: '192.0.2.1', dstIp: '192.0.2.2', vni: 78 });
  const { kernel, handler } = forwarder({ server: { nodeNetns: '/fake/node' } });
  await handler.request(request(incoming), bg());
  assert.equal(kernel.sent('node'), [
    'link add name nse-if netns /fake/nse mtu 1350 type vxlan id 78 local 192.0.2.2 remote 192.0.2.1 dstport 4789',
  ]);
  assert.ok(kernel.sent('nse').includes('addr replace 10.0.0.1/32 dev nse-if'));
  assert.is(kernel.sent('nsc').length, 0);
});

vxlan(
  'MTU: 1500 less 50 by default, less 70 over IPv6, capped by the mechanism; the port falls back to src_port',
  async () => {
    const noContext = { context: () => ({ ipContext }) };
    const v4 = forwarder({
      next: [
        nse({
          ...noContext,
          mechanism: tunnel({ srcIp: '192.0.2.1', dstIp: '192.0.2.2', vni: 5, srcPort: 8472 }),
        }),
      ],
    });
    await v4.handler.request(request(), bg());
    assert.match(
      v4.kernel.sent('own')[0]!,
      'mtu 1450 type vxlan id 5 local 192.0.2.1 remote 192.0.2.2 dstport 8472',
    );
    const v6 = forwarder({
      next: [nse({ ...noContext, mechanism: tunnel({ srcIp: 'fd01::1', dstIp: 'fd01::2', vni: 5 }) })],
    });
    await v6.handler.request(request(), bg());
    assert.match(v6.kernel.sent('own')[0]!, 'mtu 1430 type vxlan');
    const capped = forwarder({
      next: [
        nse({
          ...noContext,
          mechanism: tunnel({ srcIp: '192.0.2.1', dstIp: '192.0.2.2', vni: 5, mtu: 1400 }),
        }),
      ],
    });
    await capped.handler.request(request(), bg());
    assert.match(capped.kernel.sent('own')[0]!, 'mtu 1400 type vxlan');
  },
);

vxlan(
  'uses tunnelIp when the mechanism has no local address, and rejects a mechanism without VNI or peer',
  async () => {
    const fallback = forwarder({
      server: { tunnelIp: '192.0.2.9' },
      next: [nse({ mechanism: tunnel({ dstIp: '192.0.2.2', vni: 9 }) })],
    });
    await fallback.handler.request(request(), bg());
    assert.match(fallback.kernel.sent('own')[0]!, 'local 192.0.2.9 remote 192.0.2.2');
    const noVni = forwarder({
      next: [nse({ mechanism: tunnel({ srcIp: '192.0.2.1', dstIp: '192.0.2.2' }) })],
    });
    assert.equal(
      (await rejection(noVni.handler.request(request(), bg()))).reason,
      'KERNEL_DATAPLANE_BAD_MECHANISM',
    );
    const noPeer = forwarder({ next: [nse({ mechanism: tunnel({ srcIp: '192.0.2.1', vni: 3 }) })] });
    assert.equal(
      (await rejection(noPeer.handler.request(request(), bg()))).reason,
      'KERNEL_DATAPLANE_BAD_MECHANISM',
    );
  },
);

vxlan('close deletes the device in the pod', async () => {
  const { kernel, handler } = forwarder({
    next: [nse({ mechanism: tunnel({ srcIp: '192.0.2.1', dstIp: '192.0.2.2', vni: 7 }) })],
  });
  const conn = await handler.request(request(), bg());
  await handler.close(conn, bg());
  assert.is(kernel.links('nsc').size, 0);
});

vxlan.run();

const restart = suite('kernel-dataplane: reconcile');

restart('removes links of connections that are not live and keeps the others', async () => {
  const kernel = new FakeKernel();
  const { handler } = forwarder({ kernel });
  await handler.request(request(), bg());
  const other = forwarder({
    kernel,
    next: [nse({ mechanism: () => kernelMechanism({ netnsUrl: '/fake/nse', interfaceName: 'nse-2' }) })],
  });
  await other.handler.request(
    request(kernelMechanism({ netnsUrl: '/fake/nsc', interfaceName: 'nsm-2' }), 'conn-2'),
    bg(),
  );
  kernel.addForeign('nsc', 'eth0');
  const scan = [await kernel.resolve('/fake/nsc'), await kernel.resolve('/fake/nse')];
  const result = await reconcile(kernel, scan, ['path-conn-1']);
  assert.equal(
    result.removed.map((r) => r.name),
    ['nsm-2'],
  );
  assert.equal(result.kept.map((r) => `${r.name}:${r.alias}`).sort(), [
    'nse-if:nsm-path-conn-1',
    'nsm-1:nsm-path-conn-1',
  ]);
  assert.equal([...kernel.links('nsc').keys()].sort(), ['eth0', 'nsm-1']);
  assert.equal([...kernel.links('nse').keys()], ['nse-if']);
});

restart('with an owner, reconcile touches only the links that owner made', async () => {
  const kernel = new FakeKernel();
  const mine = forwarder({ kernel, server: { owner: 'fwd-a' } });
  await mine.handler.request(request(), bg());
  const theirs = forwarder({
    kernel,
    server: { owner: 'fwd-b' },
    next: [nse({ mechanism: () => kernelMechanism({ netnsUrl: '/fake/nse', interfaceName: 'nse-2' }) })],
  });
  await theirs.handler.request(
    request(kernelMechanism({ netnsUrl: '/fake/nsc', interfaceName: 'nsm-2' }), 'conn-2'),
    bg(),
  );
  const scan = [await kernel.resolve('/fake/nsc'), await kernel.resolve('/fake/nse')];
  const result = await reconcile(kernel, scan, [], 'fwd-a');
  assert.equal(
    result.removed.map((r) => r.name),
    ['nsm-1'],
  );
  assert.equal([...kernel.links('nsc').keys()], ['nsm-2'], "fwd-b's connection is untouched");
  assert.equal(await reconcile(kernel, scan, ['path-conn-2'], 'fwd-b'), {
    removed: [],
    kept: [
      { netns: scan[0], name: 'nsm-2', alias: aliasFor('path-conn-2', 'fwd-b') },
      { netns: scan[1], name: 'nse-2', alias: aliasFor('path-conn-2', 'fwd-b') },
    ],
  });
});

restart('aliasFor is nsm-<id>, hashed when the id has characters an alias cannot carry', () => {
  assert.is(aliasFor('7d9c-1'), 'nsm-7d9c-1');
  assert.match(aliasFor('a b#c'), /^nsm-[0-9a-f]{32}$/);
  assert.match(aliasFor('7d9c-1', 'forwarder-0'), /^nsm-[0-9a-f]{8}-7d9c-1$/);
  assert.not.equal(aliasFor('x', 'a'), aliasFor('x', 'b'));
});

restart.run();
