/**
 * `nsm demo`: a whole mesh in this process, over real gRPC on loopback: a registry, an nsmgr and a forwarder
 * per node, an ICMP-responder-style endpoint (point-to-point IPAM, kernel mechanism) and a client. It connects,
 * refreshes and closes, printing each step. The forwarders record the data-plane work instead of doing it (the
 * kernel data plane is the next stage); the control plane is the real one.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from '../api/gen/connection.js';
import { NetworkServiceRequest } from '../api/gen/networkservice.js';
import { NetworkService } from '../api/gen/registry.js';
import { kernelClient } from '../elements/mechanisms/index.js';
import { point2pointIpamServer } from '../elements/point2point-ipam/index.js';
import { createSandbox } from '../testing/sandbox/index.js';

type Print = (line: string) => void;

export interface DemoOptions {
  readonly nodes: number;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, string]> {
  const start = performance.now();
  const result = await work();
  return [result, `${(performance.now() - start).toFixed(1)} ms`];
}

function describe(connection: Connection): string[] {
  const ip = connection.context?.ipContext;
  const path = connection.path?.pathSegments.map((segment) => segment.name).join(' → ') ?? '';
  return [
    `  path (${connection.path?.pathSegments.length ?? 0} hops): ${path}`,
    `  client asked for: ${connection.mechanism?.type ?? 'KERNEL'} (the kernel forwarder negotiates it in the next stage)`,
    `  addresses: client ${ip?.srcIpAddrs.join(',') ?? '-'}  endpoint ${ip?.dstIpAddrs.join(',') ?? '-'}`,
  ];
}

export async function runDemo(print: Print, options: DemoOptions): Promise<void> {
  const [domain, startTime] = await timed(() => createSandbox({ nodes: options.nodes }));
  try {
    print(`mesh up in ${startTime}: registry ${domain.registry?.url ?? '(none)'}`);
    domain.nodes.forEach((node) =>
      print(`  node ${node.index}: nsmgr ${node.nsmgr.url}, ${node.forwarders.size} forwarder(s)`),
    );
    const scope = domain.requestContext();
    const service = 'icmp-responder';
    await domain.nodes[0]!.nsRegistry().register(
      NetworkService.fromPartial({ name: service, payload: 'IP' }),
      scope.ctx,
    );
    const endpointNode = domain.nodes[domain.nodes.length - 1]!;
    await endpointNode.newEndpoint({
      registration: { name: 'icmp-responder-nse', networkServiceNames: [service] },
      additional: [point2pointIpamServer({ prefixes: ['169.254.0.0/16'] })],
    });
    print(`endpoint icmp-responder-nse registered on node ${endpointNode.index} (IPAM 169.254.0.0/16)`);
    const nsc = domain.nodes[0]!.newClient({ name: 'demo-nsc', additional: [kernelClient()] });
    const request = NetworkServiceRequest.fromPartial({
      connection: { id: randomUUID(), networkService: service },
    });
    const [connection, connectTime] = await timed(() => nsc.request(request, scope.ctx));
    print(`connected in ${connectTime}:`);
    describe(connection).forEach(print);
    const [, refreshTime] = await timed(() => nsc.request({ ...request, connection }, scope.ctx));
    print(`refreshed in ${refreshTime} (same path and addresses)`);
    const [, closeTime] = await timed(() => nsc.close(connection, scope.ctx));
    print(`closed in ${closeTime}`);
    const wired = [...domain.nodes.flatMap((node) => [...node.forwarders.values()])].map(
      (f) => f.dataPlane().live.size,
    );
    print(`data plane: ${wired.reduce((a, b) => a + b, 0)} wire(s) left after close (recorded, not kernel)`);
    scope.cancel();
  } finally {
    await domain.close();
  }
}
