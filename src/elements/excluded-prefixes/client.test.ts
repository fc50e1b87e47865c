import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import { Connection, type DeepPartial } from '../../api/gen/connection.js';
import { IPContext } from '../../api/gen/connectioncontext.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { checkRequest, count, injectError } from '../../testing/index.js';
import { point2pointIpamServer } from '../point2point-ipam/index.js';
import { excludedPrefixesClient } from './index.js';

const isConfigError = (e: unknown): boolean => e instanceof TypeError && e.name === 'ConfigError';

const bg = (): CallContext => CallContext.background();
const h = (...elements: NetworkServiceElement[]) => networkServiceHandler(elements);
let ids = 0;
/** A request with a new connection id. */
const fresh = (partial: DeepPartial<NetworkServiceRequest> = {}): NetworkServiceRequest => {
  const request = NetworkServiceRequest.fromPartial(partial);
  return { ...request, connection: { ...(request.connection ?? Connection.create()), id: `c${++ids}` } };
};

/** A server element that adds prefixes to the request's excluded list (Go `injectexcludedprefixes`). */
function injectExcluded(prefixes: string[]): NetworkServiceElement {
  return {
    name: 'inject-excluded',
    async request(request, ctx, next) {
      const conn = request.connection ?? Connection.create();
      const ip = conn.context?.ipContext ?? IPContext.create();
      const ipContext = { ...ip, excludedPrefixes: [...ip.excludedPrefixes, ...prefixes] };
      return next.request(
        { ...request, connection: { ...conn, context: { ...conn.context!, ipContext } } },
        ctx,
      );
    },
  };
}

/** A server element that answers with a fixed IP context (Go `injectipcontext`). */
function answerWith(ip: Partial<IPContext>): NetworkServiceElement {
  return {
    name: 'answer-with',
    async request(request) {
      const conn = request.connection ?? Connection.create();
      return Connection.fromPartial({ ...conn, context: { ipContext: ip } });
    },
  };
}

/** Records the excluded prefixes of every request passing by. */
function excludedSeen(): NetworkServiceElement & { lists: string[][] } {
  const lists: string[][] = [];
  return Object.assign(
    checkRequest((r) => lists.push([...(r.connection?.context?.ipContext?.excludedPrefixes ?? [])])),
    {
      lists,
    },
  );
}

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const sorted = (list: readonly string[] | undefined): string[] => [...(list ?? [])].sort();
const injected = ['172.16.0.96/32', '172.16.0.98/32', '172.16.0.100/32'];

// ---------------------------------------------------------------------------------------------------------
const exclusion = suite('excluded-prefixes client: exclusion');

exclusion('addresses from earlier connections are excluded from later requests', async () => {
  const client = excludedPrefixesClient();
  const first = await h(
    client,
    injectExcluded(injected),
    point2pointIpamServer({ prefixes: ['172.16.0.96/29'] }),
  ).request(fresh(), bg());
  const possible = ['172.16.0.97/32', '172.16.0.99/32', '172.16.0.101/32', '172.16.0.103/32'];
  const [src] = first.context?.ipContext?.srcIpAddrs ?? [];
  const [dst] = first.context?.ipContext?.dstIpAddrs ?? [];
  assert.ok(possible.includes(src!) && possible.includes(dst!) && src !== dst);

  const seen = excludedSeen();
  await h(client, seen, point2pointIpamServer({ prefixes: ['172.16.0.96/29'] })).request(fresh(), bg());
  assert.equal(sorted(seen.lists[0]), sorted(['172.16.0.99/32', '172.16.0.97/32', ...injected]));
  assert.is(client.excluded.length, 7, 'the second connection’s pair is recorded too');
});

exclusion('two IPAMs over the same range give different addresses', async () => {
  const client = excludedPrefixesClient();
  const a = await h(client, point2pointIpamServer({ prefixes: ['172.16.0.100/30'] })).request(fresh(), bg());
  const seen = excludedSeen();
  const b = await h(client, seen, point2pointIpamServer({ prefixes: ['172.16.0.100/30'] })).request(
    fresh(),
    bg(),
  );
  assert.equal(sorted(seen.lists[0]), ['172.16.0.100/32', '172.16.0.101/32']);
  assert.is.not(a.context?.ipContext?.srcIpAddrs[0], b.context?.ipContext?.srcIpAddrs[0]);
});

exclusion('a refresh does not exclude its own addresses; subnet routes are never recorded', async () => {
  const client = excludedPrefixesClient();
  const server = h(client, injectExcluded(injected), point2pointIpamServer({ prefixes: ['172.16.0.96/29'] }));
  const conn = await server.request(fresh(), bg());
  const seen = excludedSeen();
  await h(client, seen).request({ connection: conn, mechanismPreferences: [] }, bg());
  assert.equal(sorted(seen.lists[0]), sorted(injected));

  const routes = excludedPrefixesClient();
  const withRoutes = NetworkServiceRequest.fromPartial({
    connection: {
      id: 'r',
      context: {
        ipContext: {
          srcRoutes: [
            { prefix: '172.16.1.0/32' },
            { prefix: '172.16.1.0/24' },
            { prefix: 'fe80::/128' },
            { prefix: 'fe80::/32' },
          ],
        },
      },
    },
  });
  const first = await h(routes).request(withRoutes, bg());
  const seen2 = excludedSeen();
  await h(routes, seen2).request({ connection: first, mechanismPreferences: [] }, bg());
  assert.equal(seen2.lists[0], ['172.16.1.0/32', 'fe80::/128']);
});

exclusion('a failed Request records nothing; the caller’s request is never changed', async () => {
  const client = excludedPrefixesClient();
  await h(client, injectExcluded(injected), point2pointIpamServer({ prefixes: ['172.16.0.96/29'] })).request(
    fresh(),
    bg(),
  );
  const before = client.excluded;
  await rejects(
    h(client, point2pointIpamServer({ prefixes: ['172.16.0.96/29'] }), injectError()).request(fresh(), bg()),
  );
  assert.equal(client.excluded, before);

  const request = fresh({ connection: { context: { ipContext: { excludedPrefixes: ['100.1.1.0/13'] } } } });
  const copy = cloneMessage(request);
  await h(client).request(request, bg());
  assert.equal(request, copy);
});

exclusion('Close drops what the connection held', async () => {
  const client = excludedPrefixesClient();
  const conn = await h(client).request(
    fresh({
      connection: {
        context: { ipContext: { srcIpAddrs: ['172.16.0.100/32'], dstIpAddrs: ['172.16.0.103/32'] } },
      },
    }),
    bg(),
  );
  assert.equal(client.excluded, ['172.16.0.100/32', '172.16.0.103/32']);
  const seen = excludedSeen();
  await h(client, seen).close(conn, bg());
  assert.equal(client.excluded, []);
  await h(client, seen).request(fresh(), bg());
  assert.equal(seen.lists, [[]]);
});

exclusion('Close frees only the closed connection’s addresses', async () => {
  const client = excludedPrefixesClient();
  const a = await h(client, answerWith({ srcIpAddrs: ['10.0.0.1/32'], dstIpAddrs: ['10.0.0.2/32'] })).request(
    fresh(),
    bg(),
  );
  await h(client, answerWith({ srcIpAddrs: ['10.0.0.3/32'], dstIpAddrs: ['10.0.0.4/32'] })).request(
    fresh(),
    bg(),
  );
  await h(client).close(a, bg());
  assert.equal(client.excluded, ['10.0.0.3/32', '10.0.0.4/32']);
});

exclusion.run();

// ---------------------------------------------------------------------------------------------------------
const conflicts = suite('excluded-prefixes client: conflicts');

conflicts('an address inside an excluded /32 closes the connection and fails', async () => {
  const client = excludedPrefixesClient();
  await h(
    client,
    injectExcluded(['172.16.0.100/32']),
    point2pointIpamServer({ prefixes: ['172.16.0.96/29'] }),
  ).request(fresh(), bg());
  const before = client.excluded;
  for (const ip of [
    { srcIpAddrs: ['172.16.0.101/32'], dstIpAddrs: ['172.16.0.96/32'] },
    { srcIpAddrs: ['172.16.0.100/32'], dstIpAddrs: ['172.16.0.103/32'] },
  ]) {
    const closes = count();
    const error = await rejects(h(client, closes, answerWith(ip)).request(fresh(), bg()));
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.FAILED_PRECONDITION);
    assert.is(error.reason, 'EXCLUDEDPREFIXES_CONFLICT');
    assert.ok(error.message.startsWith('excluded-prefixes:'));
    assert.is(closes.closes, 1);
  }
  assert.equal(client.excluded, before);
});

conflicts('a failing Close is reported as the cause', async () => {
  const client = excludedPrefixesClient();
  await h(client).request(
    fresh({ connection: { context: { ipContext: { srcIpAddrs: ['10.0.0.1/32'] } } } }),
    bg(),
  );
  const closeError = new Error('close failed');
  const error = await rejects(
    h(
      client,
      injectError({ requestCalls: [], closeCalls: [1], error: closeError }),
      answerWith({ srcIpAddrs: ['10.0.0.1/32'] }),
    ).request(fresh(), bg()),
  );
  assert.ok(isStatusError(error));
  assert.is(error.reason, 'EXCLUDEDPREFIXES_CONFLICT');
  assert.is(error.cause, closeError);
  assert.match(error.message, /closing the connection failed/);
});

conflicts('only /32 and /128 prefixes are checked', async () => {
  const client = excludedPrefixesClient();
  await h(client).request(
    fresh({ connection: { context: { ipContext: { excludedPrefixes: ['10.0.0.0/24'] } } } }),
    bg(),
  );
  const conn = await h(client, answerWith({ srcIpAddrs: ['10.0.0.5/32'] })).request(fresh(), bg());
  assert.equal(conn.context?.ipContext?.srcIpAddrs, ['10.0.0.5/32']);
});

conflicts.run();

// ---------------------------------------------------------------------------------------------------------
const groups = suite('excluded-prefixes client: awareness groups');

const kernelRequest = (
  ns: string,
  ifname: string,
  labels: Record<string, string> = {},
): NetworkServiceRequest =>
  fresh({
    connection: { networkService: ns, labels },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL', parameters: { name: ifname } }],
  });

groups('members of a group may overlap; other groups and the rest are excluded', async () => {
  const client = excludedPrefixesClient({
    awarenessGroups: [['kernel://ns-1/nsm-1?app=a&z=1', 'kernel://ns-2/nsm-2'], ['kernel://ns-3/nsm-3']],
  });
  const seen = excludedSeen();
  const answer = (addr: string) => answerWith({ srcIpAddrs: [addr] });
  // Labels match whatever their order.
  await h(client, answer('10.0.0.1/32')).request(kernelRequest('ns-1', 'nsm-1', { z: '1', app: 'a' }), bg());
  await h(client, seen, answer('10.0.0.1/32')).request(kernelRequest('ns-2', 'nsm-2'), bg());
  assert.equal(seen.lists[0], [], 'same group: nothing excluded');
  const c3 = await h(client, seen, answer('10.0.0.3/32')).request(kernelRequest('ns-3', 'nsm-3'), bg());
  assert.equal(seen.lists[1], ['10.0.0.1/32'], 'other group excluded');
  await h(client, seen, answer('10.0.0.4/32')).request(kernelRequest('ns-4', 'nsm-4'), bg());
  assert.equal(sorted(seen.lists[2]), ['10.0.0.1/32', '10.0.0.3/32'], 'no group: every group excluded');
  await h(client, seen, answer('10.0.0.5/32')).request(
    kernelRequest('ns-1', 'nsm-1', { app: 'a', z: '1' }),
    bg(),
  );
  assert.equal(sorted(seen.lists[3]), ['10.0.0.3/32', '10.0.0.4/32'], 'group member: others and the rest');
  assert.equal(client.excluded, ['10.0.0.4/32']);
  await h(client).close(c3, bg());
  await h(client, seen, answer('10.0.0.6/32')).request(kernelRequest('ns-9', 'nsm-9'), bg());
  assert.equal(sorted(seen.lists[4]), ['10.0.0.1/32', '10.0.0.4/32', '10.0.0.5/32']);
});

groups('an address two group members hold stays excluded for others until both close', async () => {
  const client = excludedPrefixesClient({
    awarenessGroups: [['kernel://vip-1/nsm-1', 'kernel://vip-2/nsm-2']],
  });
  const vip = answerWith({ srcIpAddrs: ['10.0.0.9/32'] });
  const a = await h(client, vip).request(kernelRequest('vip-1', 'nsm-1'), bg());
  const b = await h(client, vip).request(kernelRequest('vip-2', 'nsm-2'), bg());
  const seen = excludedSeen();
  await h(client).close(a, bg());
  await h(client, seen).request(kernelRequest('other', 'nsm-3'), bg());
  await h(client).close(b, bg());
  await h(client, seen).request(kernelRequest('other', 'nsm-3'), bg());
  assert.equal(seen.lists, [['10.0.0.9/32'], []]);
});

groups('bad URLs are a ConfigError', () => {
  assert.throws(() => excludedPrefixesClient({ awarenessGroups: [['not a url']] }), isConfigError);
});

groups.run();
