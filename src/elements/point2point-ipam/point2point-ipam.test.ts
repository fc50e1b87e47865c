import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import type { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { injectError } from '../../testing/index.js';
import { point2pointIpamServer } from './index.js';

const isConfigError = (e: unknown): boolean => e instanceof TypeError && e.name === 'ConfigError';

const bg = (): CallContext => CallContext.background();

interface Ip {
  src?: string[];
  dst?: string[];
  excluded?: string[];
  srcRoutes?: string[];
  dstRoutes?: string[];
}

let ids = 0;
const request = (ip: Ip = {}, id = `conn-${++ids}`): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: {
      id,
      context: {
        ipContext: {
          srcIpAddrs: ip.src ?? [],
          dstIpAddrs: ip.dst ?? [],
          excludedPrefixes: ip.excluded ?? [],
          srcRoutes: (ip.srcRoutes ?? []).map((prefix) => ({ prefix })),
          dstRoutes: (ip.dstRoutes ?? []).map((prefix) => ({ prefix })),
        },
      },
    },
  });

/** Checks the pairs: dst addresses with matching src routes, src addresses with matching dst routes. */
function expectPairs(conn: Connection, dsts: string[], srcs: string[]): void {
  const ip = conn.context?.ipContext;
  assert.equal(ip?.dstIpAddrs, dsts);
  assert.equal(
    ip?.srcRoutes.map((r) => r.prefix),
    dsts,
  );
  assert.equal(ip?.srcIpAddrs, srcs);
  assert.equal(
    ip?.dstRoutes.map((r) => r.prefix),
    srcs,
  );
}
const expectPair = (conn: Connection, dst: string, src: string): void => expectPairs(conn, [dst], [src]);

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const handlerOf = (...elements: NetworkServiceElement[]) => networkServiceHandler(elements);

// ---------------------------------------------------------------------------------------------------------
const allocation = suite('point2point-ipam: allocation');

allocation('IPv4: dst first, src second; freed pairs are reused first', async () => {
  const ipam = point2pointIpamServer({ prefixes: ['192.168.3.4/16'] });
  const h = handlerOf(ipam);
  const c1 = await h.request(request(), bg());
  expectPair(c1, '192.168.0.0/32', '192.168.0.1/32');
  const c2 = await h.request(request(), bg());
  expectPair(c2, '192.168.0.2/32', '192.168.0.3/32');
  await h.close(c1, bg());
  const c3 = await h.request(request(), bg());
  expectPair(c3, '192.168.0.0/32', '192.168.0.1/32');
  const c4 = await h.request(request(), bg());
  expectPair(c4, '192.168.0.4/32', '192.168.0.5/32');
  assert.equal(c4.context?.ipContext?.srcRoutes, [{ prefix: '192.168.0.4/32', nextHop: '' }]);
});

allocation('IPv6: the same with /128', async () => {
  const h = handlerOf(point2pointIpamServer({ prefixes: ['fe80::/64'] }));
  const c1 = await h.request(request(), bg());
  expectPair(c1, 'fe80::/128', 'fe80::1/128');
  const c2 = await h.request(request(), bg());
  expectPair(c2, 'fe80::2/128', 'fe80::3/128');
  await h.close(c1, bg());
  expectPair(await h.request(request(), bg()), 'fe80::/128', 'fe80::1/128');
  expectPair(await h.request(request(), bg()), 'fe80::4/128', 'fe80::5/128');
});

allocation('dual stack: one element per family, chained', async () => {
  const h = handlerOf(
    point2pointIpamServer({ prefixes: ['192.168.3.4/16'] }),
    point2pointIpamServer({ prefixes: ['fd00::/8'] }),
  );
  const c1 = await h.request(request(), bg());
  expectPairs(c1, ['192.168.0.0/32', 'fd00::/128'], ['192.168.0.1/32', 'fd00::1/128']);
  const c2 = await h.request(request(), bg());
  expectPairs(c2, ['192.168.0.2/32', 'fd00::2/128'], ['192.168.0.3/32', 'fd00::3/128']);
  await h.close(c1, bg());
  const c3 = await h.request(request(), bg());
  expectPairs(c3, ['192.168.0.0/32', 'fd00::/128'], ['192.168.0.1/32', 'fd00::1/128']);
});

allocation('several prefixes: the next one serves when the first is full', async () => {
  const h = handlerOf(point2pointIpamServer({ prefixes: ['10.0.0.0/31', 'fd00::/127', '10.1.0.0/30'] }));
  expectPair(await h.request(request(), bg()), '10.0.0.0/32', '10.0.0.1/32');
  expectPair(await h.request(request(), bg()), 'fd00::/128', 'fd00::1/128');
  expectPair(await h.request(request(), bg()), '10.1.0.0/32', '10.1.0.1/32');
});

allocation('the request is not changed', async () => {
  const h = handlerOf(point2pointIpamServer({ prefixes: ['10.0.0.0/24'] }));
  const req = request();
  const before = cloneMessage(req);
  await h.request(req, bg());
  assert.equal(req, before);
  // A request without a context gets one.
  const bare = NetworkServiceRequest.fromPartial({ connection: { id: 'bare' } });
  expectPair(await h.request(bare, bg()), '10.0.0.2/32', '10.0.0.3/32');
});

allocation.run();

// ---------------------------------------------------------------------------------------------------------
const excluded = suite('point2point-ipam: excluded prefixes');

excluded('excluded /32 (/128) addresses are skipped', async () => {
  for (const [prefix, ex, pairs] of [
    [
      '192.168.1.0/24',
      ['192.168.1.1/32', '192.168.1.3/32', '192.168.1.6/32'],
      [
        ['192.168.1.0/32', '192.168.1.2/32'],
        ['192.168.1.4/32', '192.168.1.5/32'],
        ['192.168.1.7/32', '192.168.1.8/32'],
      ],
    ],
    [
      'fe80::1:0/112',
      ['fe80::1:1/128', 'fe80::1:3/128', 'fe80::1:6/128'],
      [
        ['fe80::1:0/128', 'fe80::1:2/128'],
        ['fe80::1:4/128', 'fe80::1:5/128'],
        ['fe80::1:7/128', 'fe80::1:8/128'],
      ],
    ],
  ] as const) {
    const h = handlerOf(point2pointIpamServer({ prefixes: [prefix] }));
    for (const [dst, src] of pairs)
      expectPair(await h.request(request({ excluded: [...ex] }), bg()), dst, src);
  }
});

excluded('exhausted or fully excluded: RESOURCE_EXHAUSTED, IPAM_EXHAUSTED', async () => {
  for (const prefix of ['192.168.1.2/31', 'fe80::1:2/127']) {
    const ipam = point2pointIpamServer({ prefixes: [prefix] });
    const h = handlerOf(ipam);
    const first = await h.request(request(), bg());
    assert.is(first.context?.ipContext?.dstIpAddrs.length, 1);
    const error = await rejects(h.request(request(), bg()));
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.RESOURCE_EXHAUSTED);
    assert.is(error.reason, 'IPAM_EXHAUSTED');
    assert.ok(error.message.startsWith('point2point-ipam:'));
    assert.is(ipam.leases, 1);

    const all = handlerOf(point2pointIpamServer({ prefixes: [prefix] }));
    const excludedAll = await rejects(all.request(request({ excluded: [prefix] }), bg()));
    assert.ok(isStatusError(excludedAll));
    assert.is(excludedAll.reason, 'IPAM_EXHAUSTED');
  }
});

excluded('refresh keeps the pair; a pair that becomes excluded is replaced', async () => {
  for (const [prefix, first, later, pair, next] of [
    [
      '192.168.3.4/16',
      '192.168.0.1/32',
      '192.168.0.1/30',
      ['192.168.0.0/32', '192.168.0.2/32'],
      ['192.168.0.4/32', '192.168.0.5/32'],
    ],
    ['fe80::/64', 'fe80::1/128', 'fe80::/126', ['fe80::/128', 'fe80::2/128'], ['fe80::4/128', 'fe80::5/128']],
  ] as const) {
    const ipam = point2pointIpamServer({ prefixes: [prefix] });
    const h = handlerOf(ipam);
    const conn = await h.request(request({ excluded: [first] }, 'r'), bg());
    expectPair(conn, pair[0], pair[1]);
    // Same id with an empty context: the known pair comes back.
    expectPair(await h.request(request({}, 'r'), bg()), pair[0], pair[1]);
    // The whole connection back, with a wider exclusion: old addresses and routes go, new ones come.
    const refreshed = cloneMessage(conn);
    refreshed.context!.ipContext!.excludedPrefixes = [later];
    expectPair(await h.request({ connection: refreshed, mechanismPreferences: [] }, bg()), next[0], next[1]);
    assert.is(ipam.leases, 1);
    // The old pair was freed.
    expectPair(await h.request(request({ excluded: [first] }), bg()), pair[0], pair[1]);
  }
});

excluded.run();

// ---------------------------------------------------------------------------------------------------------
const lifecycle = suite('point2point-ipam: failure, close, recovery');

lifecycle('a failed first Request frees its pair; a failed refresh keeps it', async () => {
  const ipam = point2pointIpamServer({ prefixes: ['192.168.3.4/16'] });
  await rejects(handlerOf(ipam, injectError()).request(request({}, 'a'), bg()));
  assert.is(ipam.leases, 0);
  const h = handlerOf(ipam);
  const conn = await h.request(request({}, 'a'), bg());
  expectPair(conn, '192.168.0.0/32', '192.168.0.1/32');
  await rejects(handlerOf(ipam, injectError()).request({ connection: conn, mechanismPreferences: [] }, bg()));
  assert.is(ipam.leases, 1);
  expectPair(await h.request(request(), bg()), '192.168.0.2/32', '192.168.0.3/32');
});

lifecycle('Close frees the pair; no leak after many Request/Close cycles', async () => {
  const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/29'] });
  const h = handlerOf(ipam);
  for (let i = 0; i < 100; i++) {
    const conns = await Promise.all([1, 2, 3, 4].map((n) => h.request(request({}, `c${n}`), bg())));
    assert.is(ipam.leases, 4);
    for (const conn of conns) await h.close(conn, bg());
    assert.is(ipam.leases, 0);
  }
  // Closing an unknown connection is harmless.
  await h.close({ ...(await h.request(request({}, 'x'), bg())), id: 'unknown' }, bg());
  assert.is(ipam.leases, 1);
});

lifecycle('recovery: addresses already in the context are taken back when free', async () => {
  for (const [prefix, dst, src, fresh] of [
    ['192.168.3.4/16', '192.168.10.0/32', '192.168.10.1/32', ['192.168.0.0/32', '192.168.0.1/32']],
    ['fe80::/64', 'fe80::fa00/128', 'fe80::fa01/128', ['fe80::/128', 'fe80::1/128']],
  ] as const) {
    const h = handlerOf(point2pointIpamServer({ prefixes: [prefix] }));
    const carried = (id: string): NetworkServiceRequest =>
      request({ dst: [dst], src: [src], srcRoutes: [dst], dstRoutes: [src] }, id);
    const c1 = await h.request(carried('1'), bg());
    expectPair(c1, dst, src);
    // Another connection claiming the same addresses cannot have them: it gets a new pair as well.
    const c2 = await h.request(carried('2'), bg());
    expectPairs(c2, [dst, fresh[0]], [src, fresh[1]]);
    await h.close(c1, bg());
    expectPair(await h.request(carried('3'), bg()), dst, src);
  }
});

lifecycle(
  'no double allocation after heal: the same id with its addresses, on a fresh instance too',
  async () => {
    const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/24'] });
    const h = handlerOf(ipam);
    const conn = await h.request(request({}, 'healed'), bg());
    expectPair(conn, '10.0.0.0/32', '10.0.0.1/32');
    for (let i = 0; i < 3; i++) {
      expectPair(
        await h.request({ connection: conn, mechanismPreferences: [] }, bg()),
        '10.0.0.0/32',
        '10.0.0.1/32',
      );
    }
    assert.is(ipam.leases, 1);
    expectPair(await h.request(request(), bg()), '10.0.0.2/32', '10.0.0.3/32');

    // After a restart the addresses the client still carries are recovered, not allocated twice.
    const restarted = point2pointIpamServer({ prefixes: ['10.0.0.0/24'] });
    const r = handlerOf(restarted);
    expectPair(
      await r.request({ connection: conn, mechanismPreferences: [] }, bg()),
      '10.0.0.0/32',
      '10.0.0.1/32',
    );
    expectPair(await r.request(request(), bg()), '10.0.0.2/32', '10.0.0.3/32');
    // Recovered addresses outside the pools or excluded are not taken back.
    const outside = await r.request(
      request({
        dst: ['172.16.0.0/32'],
        src: ['172.16.0.1/32'],
        srcRoutes: ['172.16.0.0/32'],
        dstRoutes: ['172.16.0.1/32'],
      }),
      bg(),
    );
    expectPairs(outside, ['172.16.0.0/32', '10.0.0.4/32'], ['172.16.0.1/32', '10.0.0.5/32']);
  },
);

lifecycle('bad options are a ConfigError', () => {
  assert.throws(() => point2pointIpamServer({ prefixes: [] }), isConfigError);
  assert.throws(() => point2pointIpamServer({ prefixes: ['10.0.0.0/33'] }), isConfigError);
  assert.throws(() => point2pointIpamServer({ prefixes: ['10.0.0.0'] }), isConfigError);
  assert.throws(() => point2pointIpamServer({ prefixes: ['fe80::/64', 'nope'] }), isConfigError);
  assert.throws(() => point2pointIpamServer({} as never), isConfigError);
});

lifecycle('10k allocations and frees complete', async () => {
  const ipam = point2pointIpamServer({ prefixes: ['10.0.0.0/16'] });
  const h = handlerOf(ipam);
  const conns: Connection[] = [];
  for (let i = 0; i < 10_000; i++) conns.push(await h.request(request({}, `perf-${i}`), bg()));
  assert.is(ipam.leases, 10_000);
  expectPair(conns[9_999]!, '10.0.78.30/32', '10.0.78.31/32');
  for (let i = 0; i < conns.length; i += 2) await h.close(conns[i]!, bg());
  for (let i = 1; i < conns.length; i += 2) await h.close(conns[i]!, bg());
  assert.is(ipam.leases, 0);
  expectPair(await h.request(request(), bg()), '10.0.0.0/32', '10.0.0.1/32');
});

lifecycle.run();
