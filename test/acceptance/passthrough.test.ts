/**
 * Passthrough endpoints (Go `suite_test.go`, nsm-semantics §5.2 rows 9-11 and 13): each endpoint is also a
 * client of its own node's nsmgr, asking for the same service with its own labels, so the service's matches
 * walk the request along `step: 0 → 1 → ... → n-1`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Match, NetworkService } from '../../src/api/gen/registry.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { clientUrl } from '../../src/elements/client-url/index.js';
import { connectServer } from '../../src/elements/connect/index.js';
import { mechanismTranslationClient } from '../../src/elements/mechanism-translation/index.js';
import { kernelClient } from '../../src/elements/mechanisms/index.js';
import { passthroughClient } from '../../src/elements/passthrough/index.js';
import { client } from '../../src/presets/client/index.js';
import { count, type Counter } from '../../src/testing/index.js';
import { createSandbox, type SandboxEndpoint, type SandboxNode } from '../../src/testing/sandbox/index.js';
import { defaultRequest } from './fixtures.js';

const step = 'step';

/** Go's `linearNS`: step i-1 → step i, and last a match with an empty source selector → step 0. */
function linearNS(hops: number): NetworkService {
  const matches: Match[] = [];
  for (let i = 1; i < hops; i++) {
    matches.push(
      Match.fromPartial({
        sourceSelector: { [step]: `${i - 1}` },
        routes: [{ destinationSelector: { [step]: `${i}` } }],
      }),
    );
  }
  if (hops > 1) matches.push(Match.fromPartial({ routes: [{ destinationSelector: { [step]: '0' } }] }));
  return NetworkService.fromPartial({ name: 'test-network-service-linear', matches });
}

/**
 * Go's `newPassThroughEndpoint`: `endpoint-<name>` with `labels` for the service; unless it is the last one, it
 * connects onwards through its node's nsmgr with mechanism translation, passthrough(labels) and kernel.
 */
async function newPassThroughEndpoint(
  node: SandboxNode,
  spec: {
    readonly labels: Record<string, string>;
    readonly name: string;
    readonly service: string;
    readonly hasClientFunctionality: boolean;
    readonly counter: Counter;
  },
): Promise<SandboxEndpoint> {
  const { domain } = node;
  const { labels, name, service, hasClientFunctionality, counter } = spec;
  const additional: NetworkServiceElement[] = [];
  if (hasClientFunctionality) {
    const stop = new AbortController();
    domain.onClose(() => stop.abort());
    const clientName = `endpoint-client-${name}`;
    additional.push(
      clientUrl(node.nsmgr.url),
      connectServer(
        client({
          name: clientName,
          dialer: domain.dialerFor(clientName),
          chainSignal: stop.signal,
          refresh: false,
          additional: [mechanismTranslationClient(), passthroughClient(labels), kernelClient()],
        }),
      ),
    );
  }
  additional.push(counter);
  return node.newEndpoint({
    registration: {
      name: `endpoint-${name}`,
      networkServiceNames: [service],
      networkServiceLabels: { [service]: { labels } },
    },
    additional,
  });
}

const passthrough = suite('nsmgr: passthrough');

passthrough('Test_PassThroughRemoteUsecase: one passthrough NSE per node, path 40', async () => {
  const nodes = 7;
  const domain = await createSandbox({ nodes });
  try {
    const scope = domain.requestContext(undefined, 20_000);
    const counterClose = count();
    const ns = await domain.nodes[0]!.nsRegistry().register(linearNS(nodes), scope.ctx);
    const nses: SandboxEndpoint[] = [];
    for (let i = 0; i < nodes; i++) {
      nses.push(
        await newPassThroughEndpoint(domain.nodes[i]!, {
          labels: { [step]: `${i}` },
          name: `${i}`,
          service: ns.name,
          hasClientFunctionality: i !== nodes - 1,
          counter: counterClose,
        }),
      );
    }
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest(ns.name);
    let conn = await nsc.request(request, scope.ctx);
    // 4 segments to the first endpoint, then 6 to each next one on the next node.
    assert.is(conn.path?.pathSegments.length, 6 * (nodes - 1) + 4);
    for (let i = 0; i < nodes; i++) assert.is(conn.path?.pathSegments[i * 6 + 3]?.name, `endpoint-${i}`);
    for (let i = 0; i < 5; i++) conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
    await nsc.close(conn, scope.ctx);
    assert.is(counterClose.closes, nodes);
    for (const nse of nses) await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

passthrough('Test_PassThroughLocalUsecase: seven passthrough NSEs on one node, path 28', async () => {
  const nsesCount = 7;
  const domain = await createSandbox({ nodes: 1 });
  try {
    const scope = domain.requestContext(undefined, 20_000);
    const counterClose = count();
    const ns = await domain.nodes[0]!.nsRegistry().register(linearNS(nsesCount), scope.ctx);
    const nses: SandboxEndpoint[] = [];
    for (let i = 0; i < nsesCount; i++) {
      nses.push(
        await newPassThroughEndpoint(domain.nodes[0]!, {
          labels: { [step]: `${i}` },
          name: `${i}`,
          service: ns.name,
          hasClientFunctionality: i !== nsesCount - 1,
          counter: counterClose,
        }),
      );
    }
    const nsc = domain.nodes[0]!.newClient();
    const request = defaultRequest(ns.name);
    let conn = await nsc.request(request, scope.ctx);
    // 4 segments to the first endpoint, then 4 to each next one on the same node.
    assert.is(conn.path?.pathSegments.length, 4 * (nsesCount - 1) + 4);
    for (let i = 0; i < nsesCount; i++) {
      assert.is(conn.path?.pathSegments[(i + 1) * 4 - 1]?.name, `endpoint-${i}`);
    }
    for (let i = 0; i < 5; i++) conn = await nsc.request({ ...request, connection: conn }, scope.ctx);
    await nsc.close(conn, scope.ctx);
    assert.is(counterClose.closes, nsesCount);
    for (const nse of nses) await nse.unregister();
    scope.cancel();
  } finally {
    await domain.close();
  }
});

passthrough(
  'Test_PassThroughSameSourceSelector: the empty source match falls through to step 1',
  async () => {
    const nsesCount = 7;
    const domain = await createSandbox({ nodes: 1 });
    try {
      const scope = domain.requestContext(undefined, 10_000);
      const counterClose = count();
      const linear = linearNS(nsesCount);
      const last = linear.matches[linear.matches.length - 1]!;
      const service = NetworkService.fromPartial({
        ...linear,
        matches: [
          ...linear.matches.slice(0, -1),
          { ...last, fallthrough: true },
          Match.fromPartial({ routes: [{ destinationSelector: { [step]: '1' } }] }),
        ],
      });
      const ns = await domain.nodes[0]!.nsRegistry().register(service, scope.ctx);
      const nses: SandboxEndpoint[] = [];
      for (let i = 1; i < nsesCount; i++) {
        nses.push(
          await newPassThroughEndpoint(domain.nodes[0]!, {
            labels: { [step]: `${i}` },
            name: `${i}`,
            service: ns.name,
            hasClientFunctionality: i !== nsesCount - 1,
            counter: counterClose,
          }),
        );
      }
      const nsc = domain.nodes[0]!.newClient();
      const request = defaultRequest(ns.name);
      const expectPath = (segments: readonly { name: string }[] | undefined): void => {
        assert.is(segments?.length, 4 * (nsesCount - 2) + 4);
        for (let i = 1; i < nsesCount; i++) assert.is(segments?.[i * 4 - 1]?.name, `endpoint-${i}`);
      };
      let conn = await nsc.request(request, scope.ctx);
      expectPath(conn.path?.pathSegments);
      // Go refreshes with the request it started with (same connection id).
      conn = await nsc.request(request, scope.ctx);
      expectPath(conn.path?.pathSegments);
      await nsc.close(conn, scope.ctx);
      assert.is(counterClose.closes, nsesCount - 1);
      for (const nse of nses) await nse.unregister();
      scope.cancel();
    } finally {
      await domain.close();
    }
  },
);

passthrough('Test_PassThroughLocalUsecaseMultiLabel (pending)', () => {
  console.log('pending: skipped in Go ("unstable"): 9 passthrough NSEs with labels a/b on 3 levels');
});

passthrough.run();
