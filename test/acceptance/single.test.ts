/**
 * Single-domain scenarios (Go `single_test.go`, nsm-semantics §5.2 rows 14-21).
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray } from 'rxjs';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import {
  Match,
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
} from '../../src/api/gen/registry.js';
import type { CallContext } from '../../src/chain/context.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import type { NseRegistryElement } from '../../src/chain/registry.js';
import { tokensExpiredPolicy } from '../../src/elements/authorize/index.js';
import { clientAllowedPolicy } from '../../src/elements/registry-authorize/index.js';
import { isStatusError } from '../../src/chain/errors.js';
import { eventFactoryOf, type EventFactory } from '../../src/elements/begin/index.js';
import { excludedPrefixesClient } from '../../src/elements/excluded-prefixes/index.js';
import { point2pointIpamServer } from '../../src/elements/point2point-ipam/index.js';
import { jwtTokenGenerator } from '../../src/elements/token-jwt/index.js';
import { checkContext, count, injectError } from '../../src/testing/index.js';
import { createSandbox, type SandboxEndpoint } from '../../src/testing/sandbox/index.js';
import { defaultRequest, defaultService, eventually } from './fixtures.js';

const single = suite('nsmgr: single');

single('Test_AwareNSEs: services of one awareness group may share addresses', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    const nsRegistry = domain.nodes[0]!.nsRegistry();
    const ns1 = NetworkService.fromPartial({ name: 'my-ns-1' });
    const ns2 = NetworkService.fromPartial({ name: 'my-ns-2' });
    const info = [
      { ns: ns1, key: 'color', value: 'red' },
      { ns: ns2, key: 'color', value: 'red' },
      { ns: ns1, key: 'day', value: 'friday' },
    ];
    const nses: SandboxEndpoint[] = [];
    const requests: NetworkServiceRequest[] = [];
    for (const [i, { ns, key, value }] of info.entries()) {
      nses.push(
        await domain.nodes[0]!.newEndpoint({
          registration: {
            name: `nse-${randomUUID()}`,
            networkServiceNames: [ns.name],
            networkServiceLabels: { [ns.name]: { labels: { [key]: value } } },
          },
          additional: [point2pointIpamServer({ prefixes: ['172.16.0.96/29'] })],
        }),
      );
      requests.push(
        NetworkServiceRequest.fromPartial({
          connection: {
            id: `${i}`,
            networkService: ns.name,
            context: {},
            mechanism: { cls: 'LOCAL', type: 'KERNEL' },
            labels: { [key]: value },
          },
        }),
      );
      ns.matches.push(
        Match.fromPartial({
          sourceSelector: { [key]: value },
          routes: [{ destinationSelector: { [key]: value } }],
        }),
      );
    }
    await nsRegistry.register(ns1, scope.ctx);
    await nsRegistry.register(ns2, scope.ctx);
    const nsc = domain.nodes[0]!.newClient({
      additional: [
        excludedPrefixesClient({
          awarenessGroups: [['kernel://my-ns-1?color=red', 'kernel://my-ns-2?color=red']],
        }),
      ],
    });
    const conns = [];
    for (const request of requests) {
      conns.push(await nsc.request(request, scope.ctx));
      assert.is(conns[0]!.networkServiceEndpointName, nses[0]!.name);
    }
    const src = conns.map((c) => c.context?.ipContext?.srcIpAddrs[0]);
    assert.is(src[0], src[1]);
    assert.is.not(src[0], src[2]);
    assert.is.not(src[1], src[2]);
    for (const conn of conns) await nsc.close(conn, scope.ctx);
    for (const nse of nses) await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

single('Test_ShouldParseNetworkServiceLabelsTemplate: {{.nodeName}} selects the local NSE', async () => {
  const domain = await createSandbox({ nodes: 1 });
  try {
    const scope = domain.requestContext(undefined, 5000);
    // Go sets NODE_NAME=testValue for the process; the sandbox gives each nsmgr NODE_NAME=node[<index>].
    const want = { nodeName: 'node[0]' };
    const ns = await domain.nodes[0]!.nsRegistry().register(
      NetworkService.fromPartial({
        name: 'labels-template',
        matches: [{ routes: [{ destinationSelector: { nodeName: '{{.nodeName}}' } }] }],
      }),
      scope.ctx,
    );
    const nse = await domain.nodes[0]!.newEndpoint({
      registration: {
        name: 'final-endpoint',
        networkServiceNames: [ns.name],
        networkServiceLabels: { [ns.name]: { labels: {} } },
      },
    });
    const nsc = domain.nodes[0]!.newClient();
    const conn = await nsc.request(defaultRequest(ns.name), scope.ctx);
    // clientinfo on the connection, and registry clientinfo on the registration.
    assert.equal(conn.labels, want);
    assert.equal(nse.registration()?.networkServiceLabels[ns.name]?.labels, want);
    await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

const forwarderLabels = [
  ['p2mp forwarder', { p2mp: 'true' }],
  ['p2p forwarder', { p2p: 'true' }],
  ['special forwarder', { special: 'true' }],
] as const;

single('Test_UsecasePoint2MultiPoint: the match metadata picks the forwarder', async () => {
  const domain = await createSandbox({ nodes: 1, forwardersPerNode: 0 });
  try {
    for (const [name, labels] of forwarderLabels) await domain.nodes[0]!.newForwarder({ name, labels });
    const scope = domain.requestContext(undefined, 5000);
    const nsRegistry = domain.nodes[0]!.nsRegistry();
    const service = (labels: Record<string, string>): NetworkService =>
      NetworkService.fromPartial({
        name: 'my-ns',
        matches: [{ sourceSelector: {}, routes: [{ destinationSelector: {} }], metadata: { labels } }],
      });
    await nsRegistry.register(service({ p2mp: 'true' }), scope.ctx);
    await domain.nodes[0]!.newEndpoint({
      registration: { name: 'my-nse-1', networkServiceNames: ['my-ns'] },
    });
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-ns');
    let conn = await nsc.request(request, scope.ctx);
    assert.is(conn.path?.pathSegments.length, 4);
    assert.is(conn.path?.pathSegments[2]?.name, 'p2mp forwarder');
    await nsRegistry.register(service({}), scope.ctx);
    await nsc.close(conn, scope.ctx);
    conn = await nsc.request(request, scope.ctx);
    assert.is(conn.path?.pathSegments.length, 4);
    assert.is(conn.path?.pathSegments[2]?.name, 'p2p forwarder');
    scope.cancel();
  } finally {
    await domain.close();
  }
});

single('Test_RemoteUsecase_Point2MultiPoint: metadata without routes picks both forwarders', async () => {
  const domain = await createSandbox({ nodes: 2, forwardersPerNode: 0 });
  try {
    for (const [i, node] of domain.nodes.entries()) {
      for (const [name, labels] of forwarderLabels) await node.newForwarder({ name: `${name}-${i}`, labels });
    }
    const scope = domain.requestContext(undefined, 5000);
    const nsRegistry = domain.nodes[0]!.nsRegistry();
    const service = (labels: Record<string, string>): NetworkService =>
      NetworkService.fromPartial({ name: 'my-ns', matches: [{ metadata: { labels } }] });
    await nsRegistry.register(service({ p2mp: 'true' }), scope.ctx);
    await domain.nodes[1]!.newEndpoint({
      registration: { name: 'my-nse-1', networkServiceNames: ['my-ns'] },
    });
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest('my-ns');
    let conn = await nsc.request(request, scope.ctx);
    assert.is(conn.path?.pathSegments.length, 6);
    assert.is(conn.path?.pathSegments[2]?.name, 'p2mp forwarder-0');
    assert.is(conn.path?.pathSegments[4]?.name, 'p2mp forwarder-1');
    await nsRegistry.register(service({}), scope.ctx);
    await nsc.close(conn, scope.ctx);
    conn = await nsc.request(request, scope.ctx);
    assert.is(conn.path?.pathSegments.length, 6);
    assert.is(conn.path?.pathSegments[2]?.name, 'p2p forwarder-0');
    assert.is(conn.path?.pathSegments[4]?.name, 'p2p forwarder-1');
    scope.cancel();
  } finally {
    await domain.close();
  }
});

single(
  'Test_FailedRegistryAuthorization: a second caller cannot take over a registered NS name',
  async () => {
    const domain = await createSandbox({ nodes: 1, registryPolicies: [clientAllowedPolicy()] });
    try {
      const scope = domain.requestContext();
      await domain.nodes[0]!.nsRegistry('ns-1').register(
        NetworkService.fromPartial({ name: 'ns-1' }),
        scope.ctx,
      );
      const refused = await domain.nodes[0]!.nsRegistry('ns-2', { withoutRetry: true })
        .register(NetworkService.fromPartial({ name: 'ns-1' }), scope.ctx)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(isStatusError(refused), 'registering a name owned by another caller fails');
      assert.is(refused.reason, 'REGISTRY_AUTHORIZE_NOT_OWNER');
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

/** Counts the Requests that come back successfully (Go count.Client's backward requests). */
function backwardRequests(): NetworkServiceElement & { readonly value: number } {
  let value = 0;
  return {
    name: 'backward-requests',
    get value() {
      return value;
    },
    async request(request, ctx, next) {
      const connection = await next.request(request, ctx);
      value++;
      return connection;
    },
  };
}

single(
  'Test_RestartDuringRefresh: a refresh that kills the forwarders fails, then heal succeeds',
  async () => {
    const domain = await createSandbox({ nodes: 1 });
    try {
      const scope = domain.requestContext(undefined, 15_000);
      await domain.nodes[0]!.nsRegistry().register(defaultService('ns'), scope.ctx);
      const countServer = count();
      const countClient = backwardRequests();
      let clientFactory: EventFactory | undefined;
      let destroyFwd = false;
      // Go's serialize.Executor: kills and restarts of the forwarders run one after the other.
      let executor: Promise<void> = Promise.resolve();
      const serially = (work: () => Promise<void>): Promise<void> => (executor = executor.then(work, work));
      const forwarders = () => [...domain.nodes[0]!.forwarders.values()];
      const killForwarders: NetworkServiceElement = {
        name: 'kill-forwarders',
        async request(request, ctx, next) {
          if (destroyFwd) {
            await serially(async () => {
              for (const fwd of forwarders()) await fwd.server.kill();
            });
          }
          return next.request(request, ctx);
        },
      };
      await domain.nodes[0]!.newEndpoint({
        registration: { name: 'nse-1', networkServiceNames: ['ns'] },
        additional: [countServer, killForwarders],
      });
      // Go's checkresponse sees every response, failed ones included.
      const restartForwarders: NetworkServiceElement = {
        name: 'restart-forwarders',
        async request(request, ctx, next) {
          try {
            return await next.request(request, ctx);
          } finally {
            if (destroyFwd) {
              void serially(async () => {
                for (const fwd of forwarders()) await fwd.server.restart();
              });
            }
          }
        },
      };
      const nsc = domain.nodes[0]!.newClient({
        additional: [
          countClient,
          checkContext((ctx: CallContext) => {
            clientFactory ??= eventFactoryOf(ctx);
          }),
          restartForwarders,
        ],
      });
      await nsc.request(
        NetworkServiceRequest.fromPartial({ connection: { id: randomUUID(), networkService: 'ns' } }),
        scope.ctx,
      );
      assert.ok(clientFactory, 'the client event factory');
      await clientFactory.request();
      assert.is(countServer.requests, 2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.is(countServer.requests, 2, 'never more than 2 requests');
      for (let i = 0; i < 15; i++) {
        destroyFwd = true;
        const outcome = await clientFactory.request();
        assert.is(outcome.status, 'failed', `round ${i}: the refresh fails`);
        const before = countClient.value;
        destroyFwd = false;
        await eventually(() => countClient.value > before, 5000, `round ${i}: heal succeeds`);
      }
      await executor;
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

/** Numbers 2..n: every call but the first (Go's `WithRequestErrorTimes(1, -1)`). */
const allButFirst = Array.from({ length: 10_000 }, (_, i) => i + 2);

single(
  'Test_Timeout: the nsmgr closes the connection of a client that died when its token expires',
  async () => {
    const tokenTimeoutMs = 2000;
    const requestTimeoutMs = 1500;
    const domain = await createSandbox({ nodes: 1, nsmgrAuthorizePolicies: [tokensExpiredPolicy()] });
    try {
      const chain = domain.requestContext(undefined, 5000);
      const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('ns'), chain.ctx);
      const counter = count();
      await domain.nodes[0]!.newEndpoint({
        registration: { name: 'final-endpoint', networkServiceNames: [ns.name] },
        authorizePolicies: [tokensExpiredPolicy()],
        additional: [counter],
      });
      // The client dies after its first Request: all later ones fail before leaving it.
      const nsc = domain.nodes[0]!.newClient({
        tokenGenerator: jwtTokenGenerator({ spiffeId: 'spiffe://test.com/nsc', lifetimeMs: tokenTimeoutMs }),
        additional: [injectError({ requestCalls: allButFirst })],
      });
      const requestScope = domain.requestContext(undefined, requestTimeoutMs);
      const conn = await nsc.request(defaultRequest(ns.name), requestScope.ctx);
      requestScope.cancel();
      assert.ok(conn);
      assert.is(counter.requests, 1);
      assert.is(counter.closes, 0);
      await eventually(
        () => counter.closes === 1,
        tokenTimeoutMs + 3000,
        'the timeout closes the connection',
      );
      chain.cancel();
    } finally {
      await domain.close();
    }
  },
);

single('Test_Expire: a registration that is not refreshed expires with its token', async () => {
  const tokenTimeoutMs = 2000;
  const registerTimeoutMs = 1500;
  const domain = await createSandbox({ nodes: 1 });
  const stop = new AbortController();
  try {
    const chain = domain.requestContext(undefined, 5000);
    const ns = await domain.nodes[0]!.nsRegistry().register(defaultService('ns'), chain.ctx);
    // The NSE dies after its first Register: its refreshes fail before leaving the client.
    let registers = 0;
    const failAfterFirst: NseRegistryElement = {
      name: 'inject-error',
      register(nse, ctx, next) {
        if (++registers > 1) return Promise.reject(new Error('injected error'));
        return next.register(nse, ctx);
      },
    };
    const registry = domain.nodes[0]!.nseRegistry(
      stop.signal,
      'final-endpoint',
      jwtTokenGenerator({ spiffeId: 'spiffe://test.com/final-endpoint', lifetimeMs: tokenTimeoutMs }),
      [failAfterFirst],
    );
    // Go registers the URL "nseURL", which Go's url.Parse takes as a relative reference; our localbypass only
    // takes absolute URLs (LOCALBYPASS_INVALID_URL), so a dummy absolute one stands in. Nothing dials it.
    const registerScope = domain.requestContext(undefined, registerTimeoutMs);
    await registry.register(
      NetworkServiceEndpoint.fromPartial({
        name: 'final-endpoint',
        url: 'tcp://nse-url:5000',
        networkServiceNames: [ns.name],
      }),
      registerScope.ctx,
    );
    registerScope.cancel();
    const find = (): Promise<unknown[]> =>
      lastValueFrom(
        registry
          .find(
            NetworkServiceEndpointQuery.fromPartial({ networkServiceEndpoint: { name: 'final-endpoint' } }),
            chain.ctx,
          )
          .pipe(toArray()),
      );
    assert.is((await find()).length, 1);
    await eventually(
      async () => (await find()).length === 0,
      tokenTimeoutMs + 3000,
      'the registration expires',
    );
    chain.cancel();
  } finally {
    stop.abort();
    await domain.close();
  }
});

single.run();
