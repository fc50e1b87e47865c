/**
 * The in-process forwarder chains of the kernel data-plane benchmarks, as in test/kernel: a local forwarder
 * (veth between two pods) and two forwarders bridged without gRPC (VXLAN between two node namespaces), with a
 * fake NSE tail answering its KERNEL mechanism and an IPContext.
 */
import { ConnectionContext } from '../src/api/gen/connectioncontext.js';
import type { Connection } from '../src/api/gen/connection.js';
import { NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { CallContext } from '../src/chain/context.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../src/chain/network-service.js';
import { beginServer } from '../src/elements/begin/index.js';
import { kernelDataPlaneClient, kernelDataPlaneServer } from '../src/elements/kernel-dataplane/index.js';
import { mechanismTranslationClient } from '../src/elements/mechanism-translation/index.js';
import {
  kernelMechanism,
  vxlanClient,
  vxlanMechanism,
  vxlanServer,
} from '../src/elements/mechanisms/index.js';
import { metadata } from '../src/elements/metadata/index.js';
import type { NetlinkPool } from '../src/kernel/index.js';
import { UNDERLAY } from './dataplane-lib.js';

/** The IPContext of connection `k` (0..254): NSC 172.29.k.2 / fd29::k:2, NSE .1, plus one extra route. */
export function ipSetup(k: number) {
  return {
    srcIpAddrs: [`172.29.${k}.2/32`, `fd29::${k}:2/128`],
    dstIpAddrs: [`172.29.${k}.1/32`, `fd29::${k}:1/128`],
    srcRoutes: [
      { prefix: `172.29.${k}.1/32` },
      { prefix: '172.29.200.0/24' },
      { prefix: `fd29::${k}:1/128` },
    ],
    dstRoutes: [{ prefix: `172.29.${k}.2/32` }, { prefix: `fd29::${k}:2/128` }],
  };
}

/** The NSE end of the chain: its KERNEL mechanism in `nse` and an IPContext, both picked per connection id. */
export function fakeNse(
  nse: string,
  pick: (id: string) => readonly [name: string, k: number],
): NetworkServiceElement {
  return {
    name: 'fake-nse',
    request: async (request) => {
      const [name, k] = pick(request.connection?.id ?? '');
      return {
        ...request.connection!,
        mechanism: kernelMechanism({ netnsUrl: `/run/netns/${nse}`, interfaceName: name }),
        context: ConnectionContext.fromPartial({ ipContext: ipSetup(k) }),
      };
    },
    close: async () => undefined,
  };
}

export function nscRequest(id: string, nsc: string, name: string): NetworkServiceRequest {
  return NetworkServiceRequest.fromPartial({
    connection: {
      id,
      networkService: 'bench',
      path: { index: 0, pathSegments: [{ id, name: 'nsc' }] },
      mechanism: kernelMechanism({ netnsUrl: `file:///run/netns/${nsc}`, interfaceName: name }),
    },
  });
}

/** A forwarder wiring KERNEL to KERNEL on one node (as test/kernel/dataplane-local). */
export function localForwarder(pool: NetlinkPool, tail: NetworkServiceElement): NetworkServiceHandler {
  const dp = [kernelDataPlaneServer({ pool }), mechanismTranslationClient(), kernelDataPlaneClient()];
  return networkServiceHandler([beginServer(), metadata(), ...dp, tail]);
}

/** Forwarder A (node A, NSC side) reaching forwarder B (node B, NSE side) over VXLAN, both in-process. */
export function remoteForwarders(
  pool: NetlinkPool,
  nodeA: string,
  nodeB: string,
  tail: NetworkServiceElement,
) {
  const fwdB = networkServiceHandler([
    ...[beginServer(), metadata(), vxlanServer({ dstIp: UNDERLAY[1] })],
    ...[
      kernelDataPlaneServer({ pool, nodeNetns: nodeB }),
      mechanismTranslationClient(),
      kernelDataPlaneClient(),
    ],
    tail,
  ]);
  const fresh = (ctx: CallContext): CallContext =>
    CallContext.of({ signal: ctx.signal, deadline: ctx.deadline });
  const bridge: NetworkServiceElement = {
    name: 'bridge', // stands in for connect + nsmgr B: a gRPC hop carries no metadata
    request: (request, ctx) =>
      fwdB.request(
        {
          ...request,
          mechanismPreferences: [],
          connection: { ...request.connection!, mechanism: request.mechanismPreferences[0] },
        },
        fresh(ctx),
      ),
    close: (connection: Connection, ctx) => fwdB.close(connection, fresh(ctx)),
  };
  const offerVxlan: NetworkServiceElement = {
    name: 'offer-vxlan',
    request: (r, ctx, next) =>
      next.request({ ...r, mechanismPreferences: [...r.mechanismPreferences, vxlanMechanism()] }, ctx),
  };
  return networkServiceHandler([
    ...[beginServer(), metadata(), kernelDataPlaneServer({ pool, nodeNetns: nodeA })],
    ...[
      mechanismTranslationClient(),
      kernelDataPlaneClient(),
      offerVxlan,
      vxlanClient({ srcIp: UNDERLAY[0] }),
    ],
    bridge,
  ]);
}
